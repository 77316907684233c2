#!/bin/sh
# The reduced collector built by build-otelcol.sh (warm: it only prints the path), where the
# upstream image has it (/otelcol-contrib). No default config: the operator always passes --config.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
# The hook's environment is minimal: the cache is the one $INPUTS lives in (<cache>/images/inputs/<recipe>/<version>).
cache=$(cd "$INPUTS/../../../.." && pwd)
binary=$("$here/build-otelcol.sh" "$cache" "$VERSION_BARE")
install -D -m 0755 "$binary" "$root/otelcol-contrib"
