#!/usr/bin/env bash
# Build OAuth2-Proxy from its published Go module into $AIRGAP_CACHE/bin/oauth2-proxy-<version>,
# at the version release/manifest.yml ships (images.oauth2_proxy.version), so that the tests
# run the same program the platform runs. Skipped when the stamp is unchanged; prints the
# binary's path on stdout either way.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/go-wrapper.sh"

MODULE=github.com/oauth2-proxy/oauth2-proxy/v7
VERSION=$(awk '/^  oauth2_proxy:/ { found = 1 } found && $1 == "version:" { gsub(/"/, "", $2); print $2; exit }' \
  "$HERE/../../release/manifest.yml")
[[ $VERSION == v* ]] || { echo "[oauth2-proxy] ERROR: no images.oauth2_proxy.version in release/manifest.yml" >&2; exit 1; }
AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
# The upstream release sets the version through this variable (Makefile, BUILD_FLAGS).
go_wrapper_build oauth2-proxy "$MODULE" "$VERSION" "$MODULE" "$AIRGAP_CACHE/bin/oauth2-proxy-$VERSION" \
  "-s -w -X $MODULE/pkg/version.VERSION=$VERSION"
