#!/usr/bin/env bash
# Converge some waves of inventories/kind on the cluster of up.sh, on either engine, with the part
# of molecule/kind/prepare.yml they need: the CRDs, the nodes' trust of the Harbor stand-in (which
# must be running: make harbor-standin) and the pre-made local volumes. A second converge must
# change nothing. The waves: AIRGAP_KIND_WAVES (default "foundation redis"). The whole scenario
# is molecule/kind; this proves a cluster (e.g. the docker one of docker-check.sh) runs real pods.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
ensure_engine
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
kind_cluster_exists || die "no kind cluster $KIND_CLUSTER_NAME: run make kind-up first"
export KUBECONFIG=$KIND_KUBECONFIG K8S_AUTH_KUBECONFIG=$KIND_KUBECONFIG AIRGAP_KIND_CLUSTER=$KIND_CLUSTER_NAME
read -ra waves <<<"${AIRGAP_KIND_WAVES:-foundation redis}"
PY=${PYTHON:-python}
standin=$AIRGAP_CACHE/harbor-standin
"$PY" hack/images/harbor_standin.py status >/dev/null || die "the Harbor stand-in is not running: make harbor-standin"

start=$SECONDS
hack/localcluster/crds.sh >/dev/null
find "$CRD_DIR" -name '*.yaml' ! -name '*securitycontextconstraints*' -printf '-f\n%p\n' |
  xargs -d '\n' "$BIN_DIR/kubectl" apply --server-side >/dev/null
"$HERE/trust-registry.sh" host.containers.internal:5443 "$standin/ca/ca.crt"
ansible-playbook -i inventories/kind "$HERE/local-volumes.yml" >/dev/null
log "waves: CRDs, trust, volumes in $((SECONDS - start))s"

components=$(printf '"%s", ' "${waves[@]}")
extra="{\"dify_platform_components\": [${components%, }]}"
for run in first second; do
  start=$SECONDS
  out=$(ansible-playbook -i inventories/kind playbooks/site.yml -e "$extra") || {
    printf '%s\n' "$out" | tail -n 40 >&2
    die "waves: the $run converge of ${waves[*]} failed"
  }
  recap=$(grep -E '^localhost +:' <<<"$out")
  log "waves: $run converge of ${waves[*]} in $((SECONDS - start))s: $recap"
  grep -A6 'wave  component' <<<"$out" | sed -n 's/^ *"\(.*\)",\{0,1\}$/[kind]   \1/p' >&2
done
[[ $recap == *" changed=0 "* ]] || die "waves: the second converge changed something: $recap"
kk get pods -n "$(sed -n 's/^dify_platform_namespace: //p' inventories/kind/group_vars/dify_platform.yml)" -o wide >&2
