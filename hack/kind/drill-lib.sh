# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts sourcing this
# What the kind drills share (cnpg-drill.sh, drill-backup.sh): the cluster's kubectl and node
# engine, timings, the images built here as the Harbor stand-in serves them, pull Secrets and
# local PersistentVolumes. Source it after lib.sh (which sets KIND_DIR, KIND_CLUSTER_NAME, die).

REPO=$(cd "$KIND_DIR/../.." && pwd)
PY=${PYTHON:-python3}
KUBECTL=$AIRGAP_CACHE/bin/kubectl
export KUBECONFIG=${AIRGAP_KIND_KUBECONFIG:-$KIND_CACHE/$KIND_CLUSTER_NAME/kubeconfig}
STANDIN=$AIRGAP_CACHE/harbor-standin
command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin

k() { "$KUBECTL" "$@"; }
# The kind nodes' engine (lib.sh kind_engine, AIRGAP_KIND_PROVIDER): podman with the settings
# lib.sh writes, or docker.
NODE_ENGINE=$(kind_engine)
engine() {
  if [[ $NODE_ENGINE == docker ]]; then docker "$@"; else CONTAINERS_CONF=$KIND_CONTAINERS_CONF podman "$@"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# wait_for SECONDS DESCRIPTION COMMAND...: poll every second until COMMAND succeeds.
wait_for() {
  local limit=$1 what=$2 start
  shift 2
  start=$(now)
  until "$@" >/dev/null 2>&1; do
    if (($(awk -v s="$(since "$start")" -v l="$limit" 'BEGIN { print (s > l) }'))); then
      die "timed out after ${limit}s waiting for $what"
    fi
    sleep 1
  done
}

# stamp RECIPE ENTRY FIELD: a field of an image built here (hack/images stamps: digest, local, ...).
stamp() {
  "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["images"][sys.argv[2]][sys.argv[3]])' \
    "$AIRGAP_CACHE/images/stamps/$1.json" "$2" "$3"
}
stamp_hash() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["hash"][:16])' "$AIRGAP_CACHE/images/stamps/$1.json"; }
manifest_path() { # ENTRY -> the repository path without the registry host
  "$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"][sys.argv[2]]["repository"].split("/", 1)[1])' \
    "$REPO/release/manifest.yml" "$1"
}

# standin_facts: REGISTRY (as the nodes pull), PUSH (as the host pushes), CA, PROJECT of the stand-in.
standin_facts() {
  local status
  status=$("$PY" "$REPO/hack/images/harbor_standin.py" status)
  REGISTRY=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["registry"])' <<<"$status")
  PUSH=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["push"])' <<<"$status")
  CA=$("$PY" -c 'import json, sys; print(json.load(sys.stdin)["ca"])' <<<"$status")
  PROJECT=${HARBOR_STANDIN_PROJECT:-dify-platform}
}
# ref ENTRY RECIPE: the image as the nodes pull it from the stand-in, by the digest built here.
ref() { printf '%s/%s/%s@%s\n' "$REGISTRY" "$PROJECT" "$(manifest_path "$1")" "$(stamp "$2" "$1" digest)"; }

pull_secret() { # NAMESPACE: the stand-in robot's auth file as a dockerconfigjson Secret (never printed)
  # Created if absent, never applied: a client-side apply would drop the labels the operator's
  # server-side apply gives cnpg-system, and the next `kubectl diff` would find a change.
  k get namespace "$1" >/dev/null 2>&1 || k create namespace "$1" >/dev/null
  k -n "$1" create secret generic standin-pull --type=kubernetes.io/dockerconfigjson \
    --from-file=.dockerconfigjson="$STANDIN/auth.json" --dry-run=client -o yaml | k apply -f - >/dev/null
}

# local_pvs CLASS DIR COUNT SIZE ACCESS_MODES: COUNT local PersistentVolumes per worker, named
# CLASS-<node>-pv<i>, on directories DIR/pv<i> of mode 0777 (writable by any UID with GID 0, as
# restricted-v2 pods get their volumes: molecule/kind/tasks/local_volumes.yml says why), in the
# StorageClass CLASS (kind's "standard" class has no provisioner running here; made when absent,
# its reclaimPolicy cannot change). A volume released by an earlier run (its claim deleted) is
# emptied and offered again: no provisioner recycles it.
local_pvs() {
  local class=$1 dir=$2 count=$3 size=$4 modes=$5 node i phase name
  k get storageclass "$class" >/dev/null 2>&1 || k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $class}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  for node in "$KIND_CLUSTER_NAME-worker" "$KIND_CLUSTER_NAME-worker2"; do
    for i in $(seq 1 "$count"); do
      name=$class-$node-pv$i
      phase=$(k get pv "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
      if [[ -n $phase && $phase != Available && $phase != Bound ]]; then
        k delete pv "$name" --wait=true >/dev/null
        engine exec "$node" rm -rf "$dir/pv$i"
      fi
      engine exec "$node" sh -c "mkdir -p '$dir/pv$i' && chmod 0777 '$dir/pv$i'"
      k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: $name}
spec:
  capacity: {storage: $size}
  accessModes: $modes
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $class
  local: {path: $dir/pv$i}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$node]}]
EOF
    done
  done
}

# The kustomize patch that keeps an operator's Deployment on the control plane (nodeSelector and
# the control plane's toleration), as operators on infra nodes run: stopping a worker then never
# stops an operator with it (on a worker, nothing fails over until its pod is evicted, the default
# not-ready/unreachable toleration of 300 s, and started elsewhere). Prints nothing with CNPG_DRILL_OPERATOR_ON_WORKER=1 (upstream's
# placement, any schedulable node). Used for the CNPG operator (cnpg-drill.sh) and the Barman
# Cloud Plugin (drill-backup.sh).
control_plane_placement() {
  [[ ${CNPG_DRILL_OPERATOR_ON_WORKER:-0} == 1 ]] && return 0
  cat <<'PATCH'
      - op: add
        path: /spec/template/spec/nodeSelector
        value: {node-role.kubernetes.io/control-plane: ""}
      - op: add
        path: /spec/template/spec/tolerations
        value: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
PATCH
}
