#!/bin/sh
# SeaweedFS's `weed`, built from its Go module by hack/tools/seaweedfs.sh (helper script shared
# with the host S3 test; tools/ links to it, so the recipe's hash follows it; warm: it only
# prints the path), where the upstream image has it: /usr/bin/weed.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
# The hook's environment is minimal: the cache is the one $INPUTS lives in (<cache>/images/inputs/<recipe>/<version>).
cache=$(cd "$INPUTS/../../../.." && pwd)
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
# Through the link's target: the script finds release/manifest.yml from its own directory.
binary=$(AIRGAP_CACHE="$cache" bash "$(readlink -f "$here/tools/seaweedfs.sh")")
install -D -m 0755 "$binary" "$root/usr/bin/weed"
