#!/usr/bin/env bash
# Build CloudNativePG's manager (operator, instance manager, bootstrap) from its published Go
# module into $AIRGAP_CACHE/bin/cnpg-manager-<version>, at the version whose CRDs the local
# control plane serves (hack/localcluster/versions.env CNPG_VERSION; CNPG_VERSION in the
# environment overrides). Skipped when the stamp is unchanged; prints the binary's path on
# stdout either way. Used by hack/images/cnpg-operator (the operator image of the kind drill).
#
# Through a wrapper module (`tool` directive) rather than `go install module@version`: go install
# asks the proxy for the module's version list (deprecation check), which the proxy here refuses
# ("reading .../cloudnative-pg/@v/list: 403 Forbidden").
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=github.com/cloudnative-pg/cloudnative-pg
if [[ -z ${CNPG_VERSION:-} ]]; then
  CNPG_VERSION=$(sed -n 's/^CNPG_VERSION=\([^[:space:]]*\).*/\1/p' "$REPO/hack/localcluster/versions.env")
fi
[[ $CNPG_VERSION == v* ]] || { echo "[cnpg] ERROR: no CNPG_VERSION (hack/localcluster/versions.env)" >&2; exit 1; }

AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
BIN_DIR=$AIRGAP_CACHE/bin
SRC_DIR=$AIRGAP_CACHE/src
BINARY=$BIN_DIR/cnpg-manager-$CNPG_VERSION
WRAPPER_DIR=$SRC_DIR/cnpg-wrapper

log() { printf '[cnpg] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# The upstream Makefile sets the version through this variable (LDFLAGS, pkg/versions.buildVersion).
LDFLAGS="-s -w -X $MODULE/pkg/versions.buildVersion=${CNPG_VERSION#v}"
STAMP="$MODULE/cmd/manager@$CNPG_VERSION $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$LDFLAGS"

mkdir -p "$BIN_DIR" "$SRC_DIR"
exec 8>"$SRC_DIR/.cnpg.lock"
flock 8
if [[ -x $BINARY && -f $BINARY.stamp && "$(<"$BINARY.stamp")" == "$STAMP" ]]; then
  echo "$BINARY"
  exit 0
fi
start=$SECONDS
log "building CloudNativePG's manager $CNPG_VERSION from $MODULE"
rm -rf "$WRAPPER_DIR" && mkdir -p "$WRAPPER_DIR"
printf 'module airgap.local/cnpg-wrapper\n\ngo %s\n\nrequire %s %s\n\ntool %s/cmd/manager\n' \
  "$(go env GOVERSION | sed 's/^go//')" "$MODULE" "$CNPG_VERSION" "$MODULE" >"$WRAPPER_DIR/go.mod"
(cd "$WRAPPER_DIR" && go mod tidy && go build -trimpath -ldflags "$LDFLAGS" -o "$BINARY.new" "$MODULE/cmd/manager")
mv -f "$BINARY.new" "$BINARY"
printf '%s\n' "$STAMP" >"$BINARY.stamp"
log "built in $((SECONDS - start))s"
echo "$BINARY"
