#!/bin/sh
# The plugin's manager, built from the Go module by build-manager.sh (warm: it only prints the
# path), at /manager as upstream's containers/Dockerfile.plugin puts it (WORKDIR /).
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
# The hook's environment is minimal: the cache is the one $INPUTS lives in (<cache>/images/inputs/<recipe>/<version>).
cache=$(cd "$INPUTS/../../../.." && pwd)
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
binary=$(AIRGAP_CACHE="$cache" VERSION="$VERSION" bash "$here/build-manager.sh")
install -D -m 0755 "$binary" "$root/manager"
