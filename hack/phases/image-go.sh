#!/usr/bin/env bash
# hack/phases/image-go.sh NAME: build the Go binary that image NAME's customize hook builds
# (seaweedfs, otel-collector, cnpg-operator, barman-cloud-plugin), here, with the caller's Go
# caches; the hook then finds it stamped in $AIRGAP_CACHE and only copies it.
# Why: the hooks run inside mmdebstrap with a minimal environment (hack/images/airgap_images/
# rootfs.py: PATH, LC_ALL, SOURCE_DATE_EPOCH), so their Go uses the caches of the account's home
# from /etc/passwd, not GOCACHE/GOMODCACHE/HOME of the caller. In a cold run (hack/phases/cold.sh,
# phase go/NAME before images/NAME) that would measure them against the warm host's caches.
# The binary is the one the hook would build: same script, same module version, -trimpath.
set -euo pipefail
name=${1:?usage: hack/phases/image-go.sh seaweedfs|otel-collector|cnpg-operator|barman-cloud-plugin}
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
venvs=("$cache"/venv-*/bin/python)
python=${venvs[0]}
[[ -x $python ]] || python=python3
# The recipe's version, as the builder substitutes it into the hook's environment.
version_bare() {
  "$python" - "$repo/hack/images" "$cache" "$1" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from airgap_images.builder import Builder
print(Builder(sys.argv[2]).recipe(sys.argv[3]).substitutions()["version_bare"])
PY
}
case $name in
  seaweedfs) AIRGAP_CACHE=$cache bash "$repo/hack/tools/seaweedfs.sh" ;;
  otel-collector) sh "$repo/hack/images/otel-collector/build-otelcol.sh" "$cache" "$(version_bare otel-collector)" ;;
  cnpg-operator)
    # customize.sh names the version (CNPG_VERSION=...).
    version=$(sed -n 's/.*CNPG_VERSION=\([^ ]*\) .*/\1/p' "$repo/hack/images/cnpg-operator/customize.sh")
    CNPG_VERSION=${version:?} AIRGAP_CACHE=$cache "$repo/hack/tools/cnpg.sh"
    ;;
  barman-cloud-plugin)
    AIRGAP_CACHE=$cache VERSION=$(version_bare barman-cloud-plugin) \
      bash "$repo/hack/images/barman-cloud-plugin/build-manager.sh"
    ;;
  *)
    echo "image-go.sh: no Go build in the hook of $name" >&2
    exit 2
    ;;
esac
