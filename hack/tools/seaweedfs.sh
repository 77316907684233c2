#!/usr/bin/env bash
# Build SeaweedFS's `weed` (master, volume, filer, S3 gateway, `weed mini`) from its published Go
# module into $AIRGAP_CACHE/bin/seaweedfs-<module version>/weed, for the tests and the SeaweedFS
# image (hack/images). Skipped when the stamp is unchanged; prints the binary's path on stdout
# either way.
#
# Which version: release/manifest.yml pins images.seaweedfs.version (the image). SeaweedFS tags
# its releases without the "v" prefix ("4.47"), which the Go module system does not read as a
# semantic version, so the Go proxy serves SeaweedFS only under pseudo-versions
# (v0.0.0-<time>-<commit>) and resolves no tag query ("4.47" -> "not available"). The module
# version is therefore pinned here (SEAWEEDFS_MODULE_VERSION overrides); the script prints the
# version the source declares (weed/util/version/constants.go MAJOR/MINOR_VERSION) next to the
# manifest's, and fails on a mismatch only when SEAWEEDFS_STRICT=1.
#
# Built inside a copy of the module itself (not through go-wrapper.sh's wrapper module): the
# module's go.mod carries a `replace` (tyler-smith/go-bip39 => cosmos/go-bip39) that only the main
# module's go.mod applies. Upstream sets the commit through
# -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT (docker/Dockerfile.go_build).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MODULE=github.com/seaweedfs/seaweedfs
# The only version the Go proxy lists for the module here (GET .../@v/list): source version 4.53.
MODVER=${SEAWEEDFS_MODULE_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
WANT=$(awk '/^  seaweedfs:/ { found = 1 } found && $1 == "version:" { gsub(/"/, "", $2); print $2; exit }' \
  "$REPO/release/manifest.yml")
[[ -n $WANT ]] || { echo "[seaweedfs] ERROR: no images.seaweedfs.version in release/manifest.yml" >&2; exit 1; }

AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || { echo "[seaweedfs] ERROR: Go toolchain not found: put 'go' on PATH" >&2; exit 1; }
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false

COMMIT=${MODVER##*-}
BINARY=$AIRGAP_CACHE/bin/seaweedfs-$MODVER/weed
LDFLAGS="-s -w -X $MODULE/weed/util/version.COMMIT=$COMMIT"
STAMP="$MODULE@$MODVER $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$LDFLAGS"
SRC=$AIRGAP_CACHE/src/seaweedfs-$MODVER
mkdir -p "$(dirname "$BINARY")" "$AIRGAP_CACHE/src"
exec 8>"$AIRGAP_CACHE/src/.seaweedfs.lock"
flock 8

if [[ -x $BINARY && -f $BINARY.stamp && "$(<"$BINARY.stamp")" == "$STAMP" ]]; then
  echo "$BINARY"
  exit 0
fi

start=$SECONDS
echo "[seaweedfs] fetching $MODULE@$MODVER" >&2
DIR=$(cd /tmp && go mod download -json "$MODULE@$MODVER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
[[ -d $DIR ]] || { echo "[seaweedfs] ERROR: go mod download gave no directory" >&2; exit 1; }
HAVE=$(awk -F'[()]' '/MAJOR_VERSION *=/ { ma = $2 } /MINOR_VERSION *=/ { mi = $2 } END { printf "%d.%02d", ma, mi }' \
  "$DIR/weed/util/version/constants.go")
if [[ $HAVE != "$WANT" ]]; then
  echo "[seaweedfs] WARNING: the module source is SeaweedFS $HAVE, release/manifest.yml pins $WANT" \
    "(the Go proxy serves no $WANT)" >&2
  [[ ${SEAWEEDFS_STRICT:-0} != 1 ]] || exit 1
fi

# The module cache is read-only: build in a writable copy, with the module's own go.mod/go.sum.
rm -rf "$SRC.new" && cp -r "$DIR" "$SRC.new" && chmod -R u+w "$SRC.new"
rm -rf "$SRC" && mv "$SRC.new" "$SRC"
echo "[seaweedfs] building weed $HAVE ($MODVER)" >&2
(cd "$SRC" && go build -mod=readonly -trimpath -ldflags "$LDFLAGS" -o "$BINARY.new" ./weed)
mv -f "$BINARY.new" "$BINARY"
printf '%s\n' "$STAMP" >"$BINARY.stamp"
echo "[seaweedfs] built in $((SECONDS - start))s" >&2
echo "$BINARY"
