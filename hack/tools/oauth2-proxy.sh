#!/usr/bin/env bash
# Build OAuth2-Proxy from its published Go module into $AIRGAP_CACHE/bin/oauth2-proxy-<version>,
# at the version release/manifest.yml ships (images.oauth2_proxy.version), so that the tests
# run the same program the platform runs. Skipped when the stamp is unchanged; prints the
# binary's path on stdout either way.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=github.com/oauth2-proxy/oauth2-proxy/v7
VERSION=$(awk '/^  oauth2_proxy:/ { found = 1 } found && $1 == "version:" { gsub(/"/, "", $2); print $2; exit }' \
  "$REPO/release/manifest.yml")
[[ $VERSION == v* ]] || { echo "[oauth2-proxy] ERROR: no images.oauth2_proxy.version in release/manifest.yml" >&2; exit 1; }

AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
BIN_DIR=$AIRGAP_CACHE/bin
SRC_DIR=$AIRGAP_CACHE/src
BINARY=$BIN_DIR/oauth2-proxy-$VERSION
WRAPPER_DIR=$SRC_DIR/oauth2-proxy-wrapper

log() { printf '[oauth2-proxy] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
# The upstream release sets the version through this variable (Makefile, BUILD_FLAGS).
LDFLAGS="-s -w -X $MODULE/pkg/version.VERSION=$VERSION"
STAMP="$MODULE@$VERSION $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$LDFLAGS"

mkdir -p "$BIN_DIR" "$SRC_DIR"
exec 8>"$SRC_DIR/.oauth2-proxy.lock"
flock 8
if [[ -x $BINARY && -f $BINARY.stamp && "$(<"$BINARY.stamp")" == "$STAMP" ]]; then
  echo "$BINARY"
  exit 0
fi
start=$SECONDS
log "building OAuth2-Proxy $VERSION from $MODULE"
rm -rf "$WRAPPER_DIR" && mkdir -p "$WRAPPER_DIR"
printf 'module airgap.local/oauth2-proxy-wrapper\n\ngo 1.26.0\n\nrequire %s %s\n\ntool %s\n' \
  "$MODULE" "$VERSION" "$MODULE" >"$WRAPPER_DIR/go.mod"
(cd "$WRAPPER_DIR" && go mod tidy && go build -trimpath -ldflags "$LDFLAGS" -o "$BINARY.new" "$MODULE")
mv -f "$BINARY.new" "$BINARY"
printf '%s\n' "$STAMP" >"$BINARY.stamp"
log "built in $((SECONDS - start))s"
echo "$BINARY"
