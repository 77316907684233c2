# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts sourcing this
# Shared settings for the hack/localcluster scripts. Source it, don't run it.

LOCALCLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$LOCALCLUSTER_DIR/versions.env"

# Everything built or fetched lives outside the repo.
AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
BIN_DIR=$AIRGAP_CACHE/bin
CRD_DIR=$AIRGAP_CACHE/crds
SRC_DIR=$AIRGAP_CACHE/src
STATE_DIR=$AIRGAP_CACHE/localcluster
CLUSTER_NAME=${AIRGAP_CLUSTER_NAME:-airgap}
APISERVER_PORT=${AIRGAP_APISERVER_PORT:-16443}
NODE_COUNT=${AIRGAP_NODES:-3}
KUBECONFIG_PATH=$AIRGAP_CACHE/kubeconfig
# kwokctl keeps its clusters under $KWOK_WORKDIR (default ~/.kwok); keep them in our cache.
export KWOK_WORKDIR=${KWOK_WORKDIR:-$AIRGAP_CACHE/kwok}

log() { printf '[localcluster] %s\n' "$*" >&2; }
die() { printf '[localcluster] ERROR: %s\n' "$*" >&2; exit 1; }

# require_go: make sure a usable Go toolchain is on PATH and never auto-download one.
require_go() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 || die "Go toolchain not found: install Go >= ${GO_MIN_VERSION} and put 'go' on PATH"
  export GOTOOLCHAIN=local GOWORK=off
  local have
  have=$(go env GOVERSION)
  have=${have#go}
  if [[ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]]; then
    die "Go $have is too old: need Go >= ${GO_MIN_VERSION}"
  fi
}

# kubectl and kwokctl bound to the local cluster.
kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
# (fd 9 is the lock_cluster lock: the cluster processes kwokctl starts must not inherit it.)
kw() { "$BIN_DIR/kwokctl" --name "$CLUSTER_NAME" "$@" 9>&-; }

cluster_exists() {
  [[ -x "$BIN_DIR/kwokctl" ]] && "$BIN_DIR/kwokctl" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"
}

ready_nodes() {
  kc get nodes --no-headers 2>/dev/null | awk '$2 == "Ready" { n++ } END { print n + 0 }'
}

# cluster_healthy: the API answers /readyz and all fake nodes are Ready.
cluster_healthy() {
  cluster_exists && [[ -f "$KUBECONFIG_PATH" ]] &&
    kc get --raw /readyz --request-timeout=5s >/dev/null 2>&1 &&
    (($(ready_nodes) >= NODE_COUNT))
}

# lock_cluster: serialize up.sh/down.sh runs (e.g. parallel test jobs) on this cache.
lock_cluster() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock 9
}
