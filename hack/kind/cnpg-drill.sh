#!/usr/bin/env bash
# CloudNativePG for real on kind (docs/kind-cnpg.md): the operator v1.30.1 built here
# (hack/images/cnpg-operator), its manifests rendered from the module's own config/ with the
# image swapped, a 2-instance Cluster on the PostgreSQL image built here (hack/images/postgres),
# pulled by digest from the Harbor stand-in; then one worker is stopped and the failover timed.
#
#   cnpg-drill.sh up        images, stand-in push, operator, webhook check, Cluster healthy
#   cnpg-drill.sh failover  stop the primary's worker, time the promotion, start it, time the rejoin
#   cnpg-drill.sh all       both (the default)
#   cnpg-drill.sh operator  the operator alone, idempotent, from the images already in the stand-in
#                           (molecule/kind/prepare.yml)
#
# Runs on its own kind cluster (AIRGAP_KIND_CLUSTER, default airgap-cnpg; `make kind-up` first).
# The Cluster's postgresUID/postgresGID are those of the image's `postgres` user: the operator
# runs initdb and postgres as 26:26 by default (upstream's image user), and initdb refuses a UID
# without a passwd entry ("initdb: could not look up effective user ID 26: user does not exist").
# The image built here now gives `postgres` UID 26 as upstream does, so the drill's reading finds
# 26; CNPG_DRILL_POSTGRES_UID / _GID override; set them empty to keep the operator's default.
set -euo pipefail
export AIRGAP_KIND_CLUSTER=${AIRGAP_KIND_CLUSTER:-airgap-cnpg}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=drill-lib.sh
source "$KIND_DIR/drill-lib.sh"
NS=cnpg-drill
CLUSTER=drill
OPERATOR_NS=cnpg-system
CNPG_MODULE=github.com/cloudnative-pg/cloudnative-pg
CNPG_VERSION=$(sed -n 's/^CNPG_VERSION=\([^[:space:]]*\).*/\1/p' "$REPO/hack/localcluster/versions.env")
PG_UID=${CNPG_DRILL_POSTGRES_UID-}
PG_GID=${CNPG_DRILL_POSTGRES_GID-}
WORK=$KIND_CACHE/$KIND_CLUSTER_NAME/cnpg-drill

drill() { printf '[cnpg-drill] %s\n' "$*" >&2; }
jp() { k -n "$NS" get cluster "$CLUSTER" -o "jsonpath=$1" 2>/dev/null; }
stamp_digest() { stamp "$1" "$2" digest; } # RECIPE ENTRY

# The Cluster's imageName as the platform resolves it: the release_images lookup's own code, with
# the digest built here, tagged as dify_platform tags it (__dify_platform_tagged_images).
image_name() { # DIGEST [untagged]
  "$PY" - "$REPO" "$REGISTRY" "$PROJECT" "$1" "${2:-}" <<'EOF'
import os, sys, yaml
repo, registry, project, digest, untagged = sys.argv[1:]
sys.path[:0] = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(":") if p]
from ansible_collections.airgap.dify_platform.plugins.lookup.release_images import resolve
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest
manifest = load_manifest(repo + "/release/manifest.yml")
manifest["images"]["postgres"]["digest"] = digest
tagged = () if untagged else yaml.safe_load(open(repo + "/roles/dify_platform/vars/main.yml"))["__dify_platform_tagged_images"]
print(resolve(manifest, registry, project, {}, tagged=tagged)["postgres"])
EOF
}

cluster_manifest() { # IMAGE_NAME
  cat <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: $CLUSTER
  namespace: $NS
spec:
  instances: 2
  imageName: $1
  imagePullPolicy: IfNotPresent
  imagePullSecrets: [{name: standin-pull}]
$([[ -n $PG_UID ]] && printf '  postgresUID: %s\n' "$PG_UID")
$([[ -n $PG_GID ]] && printf '  postgresGID: %s\n' "$PG_GID")
  primaryUpdateStrategy: unsupervised
  storage:
    storageClass: cnpg-drill
    size: 1Gi
  bootstrap:
    initdb:
      database: app
      owner: app
      postInitApplicationSQL: ["CREATE EXTENSION IF NOT EXISTS vector"]
EOF
}

# Two local PersistentVolumes on each worker (drill-lib.sh local_pvs).
local_volumes() { local_pvs cnpg-drill /var/local/cnpg-drill 2 1Gi '[ReadWriteOnce]'; }

# The operator's manifests: the module's config/default (CRDs, RBAC, Deployment, webhooks), as
# upstream's `make generate-manifest` renders them, with the image set by kustomize; applied only
# when `kubectl diff` finds a difference, so a second run changes nothing. Prints state=installed
# or state=unchanged on stdout; returns once the Deployment is Available and the webhook answers.
install_operator() { # OPERATOR_DIGEST
  local op_digest=$1 start module state=unchanged
  start=$(now)
  mkdir -p "$WORK"
  module=$(cd "$WORK" && go mod download -json "$CNPG_MODULE@$CNPG_VERSION" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$WORK/kustomize" && mkdir -p "$WORK/kustomize/overlay"
  cp -r "$module/config" "$WORK/kustomize/config" && chmod -R u+w "$WORK/kustomize/config"
  cat >"$WORK/kustomize/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../config/default]
images:
  - name: controller
    newName: $REGISTRY/$PROJECT/$(manifest_path cnpg_operator)
    digest: $op_digest
patches:
  - target: {group: apps, version: v1, kind: Deployment, name: controller-manager}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/imagePullPolicy
        value: IfNotPresent
      - op: add
        path: /spec/template/spec/imagePullSecrets
        value: [{name: standin-pull}]
$(control_plane_placement)
EOF
  k kustomize "$WORK/kustomize/overlay" >"$WORK/operator.yaml"
  pull_secret "$OPERATOR_NS"
  # kubectl diff exits 0 with no difference, 1 with one, more on an error (apply then reports it).
  if ! k diff --server-side --force-conflicts -f "$WORK/operator.yaml" >/dev/null 2>&1; then
    k apply --server-side --force-conflicts -f "$WORK/operator.yaml" >/dev/null
    state=installed
  fi
  k -n "$OPERATOR_NS" rollout status deployment/cnpg-controller-manager --timeout=300s >&2
  # The webhook answers a server-side dry run (a Cluster in the operator's namespace, not kept).
  wait_for 120 "the operator's webhook to answer" k apply --dry-run=server -f <(
    cluster_manifest "$REGISTRY/$PROJECT/$(manifest_path postgres):17@$op_digest" |
      sed "s/^  namespace: $NS\$/  namespace: $OPERATOR_NS/")
  drill "operator $CNPG_VERSION Available, webhook answering, $(since "$start")s ($state)"
  printf 'state=%s\n' "$state"
}

# The operator alone, from the images `make harbor-standin` pushed (molecule/kind/prepare.yml);
# the nodes already trust the stand-in's CA.
operator() {
  standin_facts
  install_operator "$(stamp_digest cnpg-operator cnpg_operator)"
}

up() {
  local t0 start op_digest pg_digest entry recipe path name out
  t0=$(now)
  mkdir -p "$WORK"
  [[ -s $KUBECONFIG ]] || die "no kubeconfig at $KUBECONFIG: run AIRGAP_KIND_CLUSTER=$KIND_CLUSTER_NAME make kind-up"

  start=$(now)
  CONTAINERS_CONF=$AIRGAP_CACHE/images/containers.conf "$PY" "$REPO/hack/images/build.py" build postgres cnpg-operator
  drill "images built or warm in $(since "$start")s"

  start=$(now)
  "$PY" "$REPO/hack/images/harbor_standin.py" up >/dev/null
  standin_facts
  for entry in postgres:postgres cnpg-operator:cnpg_operator; do
    recipe=${entry%%:*} name=${entry#*:}
    path=$PROJECT/$(manifest_path "$name")
    skopeo copy --quiet --dest-cert-dir "$(dirname "$CA")/certs.d" --dest-authfile "$STANDIN/auth.json" \
      "oci:$AIRGAP_CACHE/images/oci/$recipe:$name" "docker://$PUSH/$path:airgap-$(stamp_hash "$recipe")"
  done
  if [[ -z ${CNPG_DRILL_POSTGRES_UID+set} ]]; then
    local local_ref
    local_ref=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["images"]["postgres"]["local"])' \
      "$AIRGAP_CACHE/images/stamps/postgres.json")
    PG_UID=$(CONTAINERS_CONF=$AIRGAP_CACHE/images/containers.conf podman run --rm --entrypoint id "$local_ref" -u postgres)
    PG_GID=$(CONTAINERS_CONF=$AIRGAP_CACHE/images/containers.conf podman run --rm --entrypoint id "$local_ref" -g postgres)
    drill "the image's postgres user is $PG_UID:$PG_GID (the operator's default is 26:26)"
  fi
  op_digest=$(stamp_digest cnpg-operator cnpg_operator)
  pg_digest=$(stamp_digest postgres postgres)
  "$KIND_DIR/trust-registry.sh" "$REGISTRY" "$CA"
  drill "pushed to the stand-in $REGISTRY in $(since "$start")s"

  install_operator "$op_digest" >/dev/null

  # The webhook on the reference forms: digest only (what the roles rendered before) is refused.
  start=$(now)
  pull_secret "$NS"
  local untagged tagged
  untagged=$(image_name "$pg_digest" untagged)
  tagged=$(image_name "$pg_digest")
  wait_for 120 "the operator's webhook to answer" k apply --dry-run=server -f <(cluster_manifest "$tagged")
  if out=$(k apply --dry-run=server -f <(cluster_manifest "$untagged") 2>&1); then
    die "the webhook admitted the digest-only imageName $untagged"
  fi
  drill "webhook refuses the digest-only imageName: ${out##*: }"
  drill "webhook admits $tagged ($(since "$start")s)"

  start=$(now)
  local_volumes
  cluster_manifest "$tagged" | k apply -f -
  if ! k -n "$NS" wait "cluster/$CLUSTER" --for=condition=Ready --timeout="${CNPG_DRILL_READY_TIMEOUT:-600}s"; then
    k -n "$NS" get pods,pvc -o wide >&2 || true
    k -n "$NS" get cluster "$CLUSTER" -o jsonpath='{.status.phase}: {.status.phaseReason}{"\n"}' >&2 || true
    die "the Cluster did not become Ready"
  fi
  drill "Cluster $NS/$CLUSTER Ready with $(jp '{.status.readyInstances}') instances in $(since "$start")s; primary $(jp '{.status.currentPrimary}')"
  k -n "$NS" get pods -o wide
  drill "up: $(since "$t0")s in all"
}

# psql inside an instance pod, as postgres over the operator's socket directory.
sql() { k -n "$NS" exec "$1" -c postgres -- psql -h /controller/run -U postgres -d app -tAc "$2"; }

ready_is() { [[ "$(jp '{.status.readyInstances}')" == "$1" ]]; }
primary_moved() { # OLD: a new primary is current and ready
  local current
  current=$(jp '{.status.currentPrimary}')
  [[ -n $current && $current != "$1" && "$(jp '{.status.targetPrimary}')" == "$current" ]] &&
    [[ "$(k -n "$NS" get pod "$current" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

failover() {
  local primary node start promoted down_at
  primary=$(jp '{.status.currentPrimary}')
  [[ -n $primary ]] || die "no Cluster $NS/$CLUSTER: run cnpg-drill.sh up first"
  node=$(k -n "$NS" get pod "$primary" -o jsonpath='{.spec.nodeName}')
  ready_is 2 || die "the Cluster is not at 2 ready instances"
  sql "$primary" "CREATE TABLE IF NOT EXISTS drill (at timestamptz); INSERT INTO drill VALUES (now())" >/dev/null
  # The row must reach the replica before the stop (asynchronous replication: CNPG's default).
  local replica rows
  replica=$(k -n "$NS" get pods -l "cnpg.io/cluster=$CLUSTER,cnpg.io/instanceRole=replica" -o jsonpath='{.items[0].metadata.name}')
  rows=$(sql "$primary" "SELECT count(*) FROM drill")
  wait_for 60 "the marker rows on the replica $replica" sh -c "[ \"\$('$KUBECTL' -n '$NS' exec '$replica' -c postgres -- psql -h /controller/run -U postgres -d app -tAc 'SELECT count(*) FROM drill')\" = '$rows' ]"
  drill "primary $primary on $node ($rows marker rows, replicated to $replica); stopping $node"
  down_at=$(now)
  engine stop "$node" >/dev/null
  drill "$node stopped in $(since "$down_at")s"
  wait_for 120 "the node $node NotReady" \
    sh -c "[ \"\$('$KUBECTL' get node '$node' -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}')\" != True ]"
  drill "node NotReady after $(since "$down_at")s"
  wait_for "${CNPG_DRILL_FAILOVER_TIMEOUT:-480}" "a new primary" primary_moved "$primary"
  promoted=$(jp '{.status.currentPrimary}')
  drill "failover: $promoted is the primary $(since "$down_at")s after the stop (phase: $(jp '{.status.phase}'))"
  [[ "$(sql "$promoted" "SELECT pg_is_in_recovery()")" == f ]] || die "$promoted is still in recovery"
  [[ "$(sql "$promoted" "SELECT count(*) FROM drill")" == "$rows" ]] || die "$promoted lost marker rows"
  sql "$promoted" "INSERT INTO drill VALUES (now())" >/dev/null
  drill "$promoted takes writes and holds the $rows marker rows written before the stop"
  k -n "$NS" get pods -o wide

  start=$(now)
  engine start "$node" >/dev/null
  wait_for 180 "the node $node Ready" \
    sh -c "[ \"\$('$KUBECTL' get node '$node' -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
  drill "$node Ready $(since "$start")s after the start"
  wait_for "${CNPG_DRILL_REJOIN_TIMEOUT:-600}" "2 ready instances again" ready_is 2
  drill "rejoined: 2 ready instances $(since "$start")s after the start; primary $(jp '{.status.currentPrimary}'), phase $(jp '{.status.phase}')"
  k -n "$NS" get pods -o wide
}

case ${1:-all} in
  up) up ;;
  failover) failover ;;
  all) up && failover ;;
  operator) operator ;;
  *) die "usage: cnpg-drill.sh [up|failover|all|operator]" ;;
esac
