#!/usr/bin/env bash
# Build cyclonus, the NetworkPolicy engine of the connectivity contract
# (tests/connectivity), from its published Go module into $AIRGAP_CACHE/bin/cyclonus.
# Skipped when the stamp (module version, Go version, build flags) is unchanged; prints
# the binary's path on stdout either way.
#
# Why cyclonus: its `analyze --mode query-traffic --policy-path <dir> --traffic-path <json>`
# evaluates NetworkPolicy files against a traffic description offline, with no cluster.
# Its successor, the Kubernetes network-policy-api project's policy-assistant, lives in
# a nested module (cmd/policy-assistant, module path
# sigs.k8s.io/network-policy-api/policy-assistant) whose path does not match its
# directory, so the Go module proxy does not serve it: it cannot be built from a
# published module.
set -euo pipefail

# The one place the version is pinned (github.com/mattfenwick/cyclonus, tag v0.5.6).
CYCLONUS_MODULE=github.com/mattfenwick/cyclonus
CYCLONUS_MODULE_VERSION=v0.5.6
GO_MIN_VERSION=1.22.0 # the module's go.mod says go 1.22.0

AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
BIN_DIR=$AIRGAP_CACHE/bin
SRC_DIR=$AIRGAP_CACHE/src

log() { printf '[cyclonus] %s\n' "$*" >&2; }
die() { printf '[cyclonus] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || die "Go toolchain not found: install Go >= $GO_MIN_VERSION and put 'go' on PATH"
# Never download another toolchain; never pick up a go.work from a parent directory.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
have=$(go env GOVERSION)
have=${have#go}
[[ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" == "$GO_MIN_VERSION" ]] ||
  die "Go $have is too old: need Go >= $GO_MIN_VERSION"

# The same version flag as the upstream release build (.goreleaser.yml).
LDFLAGS="-s -w -X $CYCLONUS_MODULE/pkg/cli.version=${CYCLONUS_MODULE_VERSION#v}"
STAMP="$CYCLONUS_MODULE@$CYCLONUS_MODULE_VERSION $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$LDFLAGS"

mkdir -p "$BIN_DIR" "$SRC_DIR"
exec 8>"$SRC_DIR/.cyclonus.lock"
flock 8

if [[ -x "$BIN_DIR/cyclonus" && -f "$BIN_DIR/.cyclonus.stamp" && "$(<"$BIN_DIR/.cyclonus.stamp")" == "$STAMP" ]]; then
  log "cyclonus $CYCLONUS_MODULE_VERSION: up to date"
  echo "$BIN_DIR/cyclonus"
  exit 0
fi

start=$SECONDS
log "building cyclonus $CYCLONUS_MODULE_VERSION ($CYCLONUS_MODULE)"
# The module has no replace directives, so `go install module@version` builds it as published.
tmp_bin=$(mktemp -d "$SRC_DIR/cyclonus-bin.XXXXXX")
trap 'rm -rf "$tmp_bin"' EXIT
GOBIN=$tmp_bin go install -trimpath -ldflags "$LDFLAGS" "$CYCLONUS_MODULE/cmd/cyclonus@$CYCLONUS_MODULE_VERSION"
mv -f "$tmp_bin/cyclonus" "$BIN_DIR/cyclonus"
printf '%s\n' "$STAMP" >"$BIN_DIR/.cyclonus.stamp"
log "cyclonus $CYCLONUS_MODULE_VERSION built in $((SECONDS - start))s"
echo "$BIN_DIR/cyclonus"
