#!/bin/sh
# The manager built from the Go module by hack/tools/cnpg.sh (warm: it only prints the path),
# laid out as upstream's Dockerfile does: /operator/manager_<arch> and /manager linking to it.
# The controller finds the instance managers it can inject by globbing operator/manager_*
# from its working directory / (pkg/utils/discovery.go DetectAvailableArchitectures); without
# them every Cluster fails with "cannot update the resource status: invalid architecture: amd64".
# The version is named here so that a bump changes the recipe's hash.
set -eu
root=$1
tools=$(cd "$(dirname "$0")/../../tools" && pwd)
# The hook's environment is minimal: the cache is the one $INPUTS lives in (<cache>/images/inputs/<recipe>/<version>).
cache=$(cd "$INPUTS/../../../.." && pwd)
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
binary=$(CNPG_VERSION=v1.30.1 AIRGAP_CACHE="$cache" "$tools/cnpg.sh")
# Debian's architecture names are Go's for amd64 and arm64, the two upstream builds.
arch=$(dpkg --print-architecture)
install -D -m 0755 "$binary" "$root/operator/manager_$arch"
ln -sf "operator/manager_$arch" "$root/manager"
