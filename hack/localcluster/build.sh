#!/usr/bin/env bash
# Build the control-plane binaries from published Go modules into $AIRGAP_CACHE/bin:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   kubelet, kubeadm, kube-proxy (k8s.io/kubernetes; the kind node image, hack/kind)
#   etcd                                                              (go.etcd.io/etcd/server/v3)
#   kwok, kwokctl                                                     (sigs.k8s.io/kwok)
# A binary is skipped when its stamp (module version, Go version, build flags) is unchanged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_go
# Static binaries, like the upstream releases, whether or not a C compiler is installed.
export CGO_ENABLED=0
# Part of every stamp: a new Go or different build flags rebuild everything.
GO_VERSION="$(go env GOVERSION) cgo=$CGO_ENABLED"
mkdir -p "$BIN_DIR" "$SRC_DIR"
# One build at a time per cache: concurrent runs would rewrite the same wrapper modules.
exec 8>"$SRC_DIR/.build.lock"
flock 8

# fresh <stamp> <binary>...: true when every binary exists with a matching stamp.
fresh() {
  local stamp=$1 b
  shift
  for b in "$@"; do
    [[ -x "$BIN_DIR/$b" && -f "$BIN_DIR/.$b.stamp" && "$(<"$BIN_DIR/.$b.stamp")" == "$stamp" ]] || return 1
  done
}

mark() {
  local stamp=$1 b
  shift
  for b in "$@"; do printf '%s\n' "$stamp" >"$BIN_DIR/.$b.stamp"; done
}

# timed <label> <cmd...>: run a command and log how long it took.
timed() {
  local label=$1 start=$SECONDS
  shift
  "$@"
  log "$label built in $((SECONDS - start))s"
}

# write_wrapper <dir> <require-line> <replace-lines> <tool-pkgs...>: a throwaway main module.
write_wrapper() {
  local dir=$1 require=$2 replaces=$3 pkg
  shift 3
  mkdir -p "$dir"
  {
    echo "module airgap.local/$(basename "$dir")"
    echo
    echo "go $GO_MIN_VERSION"
    echo
    echo "require $require"
    [[ -z "$replaces" ]] || printf '\nreplace (\n%s\n)\n' "$replaces"
    echo
    echo "tool ("
    for pkg in "$@"; do echo "	$pkg"; done
    echo ")"
  } >"$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && go mod tidy)
}

# --- Kubernetes ----------------------------------------------------------------
# One build for all of them: the node binaries of the kind scenario share most
# packages with the control plane, so they cost about a minute more.
KUBE_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kubeadm kube-proxy)

# Staging modules (k8s.io/api, client-go, ...) are required as v0.0.0 and replaced by
# ./staging/src/... in kubernetes' go.mod; a consumer must replace them with v0.X.Y.
kube_staging_replaces() {
  local gomod staging_version
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION"
  staging_version=v0.${KUBE_VERSION#v1.}
  # Only modules kubernetes actually requires; e.g. sample-cli-plugin is not published.
  awk -v v="$staging_version" '
    $2 == "v0.0.0" && $1 ~ /^k8s\.io\// { req[$1] = 1 }
    $2 == "=>" && $3 ~ /^\.\/staging\// && ($1 in req) { printf "\t%s => %s %s\n", $1, $1, v }
  ' "$gomod"
}

kube_ldflags() {
  local build_date major minor p flags="-s -w"
  build_date=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "k8s.io/kubernetes@$KUBE_VERSION")
  major=${KUBE_VERSION#v}; major=${major%%.*}
  minor=${KUBE_VERSION#v*.}; minor=${minor%%.*}
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    flags+=" -X $p.gitTreeState=clean -X $p.buildDate=$build_date -X $p.gitCommit="
  done
  echo "$flags"
}

build_kube() {
  local ldflags stamp dir=$SRC_DIR/k8s-wrapper b
  ldflags=$(kube_ldflags)
  stamp="k8s.io/kubernetes@$KUBE_VERSION $GO_VERSION ldflags=$(sha256sum <<<"$ldflags" | cut -c1-8)"
  if fresh "$stamp" "${KUBE_BINS[@]}"; then log "kubernetes $KUBE_VERSION: up to date"; return; fi
  log "building kubernetes $KUBE_VERSION (${KUBE_BINS[*]}); a cold build takes a while"
  local pkgs=()
  for b in "${KUBE_BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  write_wrapper "$dir" "k8s.io/kubernetes $KUBE_VERSION" "$(kube_staging_replaces)" "${pkgs[@]}"
  (cd "$dir" && timed kubernetes go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/" "${pkgs[@]}")
  mark "$stamp" "${KUBE_BINS[@]}"
}

# --- etcd ----------------------------------------------------------------------
# etcd's go.mod has local replace directives, so `go install ...@version` refuses it;
# build it from a wrapper module instead.
build_etcd() {
  local stamp="go.etcd.io/etcd/server/v3@$ETCD_VERSION $GO_VERSION" dir=$SRC_DIR/etcd-wrapper
  if fresh "$stamp" etcd; then log "etcd $ETCD_VERSION: up to date"; return; fi
  log "building etcd $ETCD_VERSION"
  write_wrapper "$dir" "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "" go.etcd.io/etcd/server/v3
  (cd "$dir" && timed etcd go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd" go.etcd.io/etcd/server/v3)
  mark "$stamp" etcd
}

# --- kwok ----------------------------------------------------------------------
build_kwok() {
  local stamp="sigs.k8s.io/kwok@$KWOK_VERSION $GO_VERSION" c=sigs.k8s.io/kwok/pkg/consts
  if fresh "$stamp" kwok kwokctl; then log "kwok $KWOK_VERSION: up to date"; return; fi
  log "building kwok $KWOK_VERSION"
  local ldflags="-s -w -X $c.Version=${KWOK_VERSION#v} -X $c.KubeVersion=${KUBE_VERSION#v}"
  timed kwok env GOBIN="$BIN_DIR" go install -trimpath -ldflags "$ldflags" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
  mark "$stamp" kwok kwokctl
}

build_kube
build_etcd
build_kwok
log "binaries in $BIN_DIR"
