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
source "$REPO/hack/tools/go-wrapper.sh"
# The upstream Makefile sets the version through this variable (LDFLAGS, pkg/versions.buildVersion).
go_wrapper_build cnpg "$MODULE" "$CNPG_VERSION" "$MODULE/cmd/manager" "$AIRGAP_CACHE/bin/cnpg-manager-$CNPG_VERSION" \
  "-s -w -X $MODULE/pkg/versions.buildVersion=${CNPG_VERSION#v}"
