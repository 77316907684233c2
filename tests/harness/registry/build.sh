#!/usr/bin/env bash
# Build or install what the mirror tests and the mirror bench need, idempotently:
#   - the OCI registry, from its published Go module (distribution/v3 cmd/registry),
#     into ${AIRGAP_CACHE}/tools/distribution-<version>/registry;
#   - crane, from its published Go module (go-containerregistry cmd/crane),
#     into ${AIRGAP_CACHE}/tools/crane-<version>/crane;
#   - skopeo (the copier) and htpasswd from Debian packages.
#   - with --with-cosign, cosign from its published Go module (sigstore/cosign/v2 cmd/cosign).
# Prints the registry binary's path, then crane's, on its last two lines.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source=tests/harness/registry/versions.env
source "$here/versions.env"
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}

"$repo/hack/ensure-packages.sh" skopeo=skopeo htpasswd=apache2-utils openssl=openssl

have=$(skopeo --version | awk '{print $3}')
if [ "$have" != "$SKOPEO_DEBIAN_VERSION" ]; then
  echo "warning: skopeo $have is installed; the tests and the bench are pinned to $SKOPEO_DEBIAN_VERSION (Debian bookworm)" >&2
fi

# go_build <binary> <module path>@<version> <target dir>
go_build() {
  local binary=$1 module=$2 dir=$3 tmp
  [ -x "$dir/$binary" ] && return 0
  command -v go >/dev/null || { echo "error: go is needed to build $module" >&2; exit 1; }
  mkdir -p "$dir"
  echo "building $module (a few minutes the first time)" >&2
  tmp=$(mktemp -d "$dir/.build-XXXXXX")
  GOFLAGS=-buildvcs=false GOBIN=$tmp go install "$module" >&2 || { rm -rf "$tmp"; exit 1; }
  mv "$tmp/$binary" "$dir/$binary"
  rm -rf "$tmp"
}

registry_dir=$cache/tools/distribution-$DISTRIBUTION_VERSION
crane_dir=$cache/tools/crane-$CRANE_VERSION
go_build registry "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION" "$registry_dir"
go_build crane "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION" "$crane_dir"
if [ "${1:-}" = "--with-cosign" ]; then
  go_build cosign "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION" "$cache/tools/cosign-$COSIGN_VERSION"
fi
echo "$registry_dir/registry"
echo "$crane_dir/crane"
