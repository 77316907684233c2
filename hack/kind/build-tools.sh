#!/usr/bin/env bash
# Build the kind scenario's own Go programs into $AIRGAP_CACHE/bin, one at a time:
#   kind         sigs.k8s.io/kind                              (the CLI)
#   coredns      github.com/coredns/coredns                    (the cluster DNS image)
#   kube-router  github.com/cloudnativelabs/kube-router/v2     (pod routes + NetworkPolicy)
# Kubernetes and etcd come from hack/localcluster/build.sh (make cluster-build).
# A binary is skipped when its stamp (module version, Go version, flags) is unchanged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_go
export CGO_ENABLED=0
GO_VERSION="$(go env GOVERSION) cgo=$CGO_ENABLED"
mkdir -p "$BIN_DIR" "$SRC_DIR"
# Its own lock: these builds do not touch the Kubernetes wrapper module, so they may overlap
# with `make cluster-build`, but two runs of this script may not.
exec 8>"$SRC_DIR/.kind-tools.lock"
flock 8

# install <binary> <module@version> <package> [ldflags]: go install unless its stamp matches.
install_tool() {
  local bin=$1 modver=$2 pkg=$3 ldflags="-s -w ${4:-}" stamp start=$SECONDS
  stamp="$modver $GO_VERSION ldflags=$(sha256sum <<<"$ldflags" | cut -c1-8)"
  if [[ -x "$BIN_DIR/$bin" && "$(cat "$BIN_DIR/.$bin.stamp" 2>/dev/null)" == "$stamp" ]]; then
    log "$bin ${modver#*@}: up to date"
    return
  fi
  log "building $bin ${modver#*@}"
  GOBIN="$BIN_DIR" go install -trimpath -ldflags "$ldflags" "$pkg@${modver#*@}"
  printf '%s\n' "$stamp" >"$BIN_DIR/.$bin.stamp"
  log "$bin built in $((SECONDS - start))s"
}

# Version strings as upstream's Makefiles set them (kind: Makefile KIND_VERSION_PKG;
# kube-router: Makefile LDFLAGS; coredns: Makefile GITCOMMIT).
install_tool kind "sigs.k8s.io/kind@$KIND_VERSION" sigs.k8s.io/kind
install_tool coredns "github.com/coredns/coredns@$COREDNS_VERSION" github.com/coredns/coredns
install_tool kube-router "github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION" \
  github.com/cloudnativelabs/kube-router/v2/cmd/kube-router \
  "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
