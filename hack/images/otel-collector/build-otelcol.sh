#!/bin/sh
# Build the reduced contrib collector with the OpenTelemetry Collector Builder (OCB) from the
# Go module proxy: go.opentelemetry.io/collector/cmd/builder at the collector's version, then
# `builder --config` on builder.yml (this directory) with {version_bare} filled in. CGO off, as
# upstream's release builds (opentelemetry-collector-releases .goreleaser.yaml); OCB compiles
# with -trimpath and -ldflags "-s -w".
#   build-otelcol.sh CACHE VERSION_BARE   -> prints the binary's path
# Everything lands in CACHE/src/otelcol-<version>/; skipped when the stamp (the rendered
# manifest, the Go version) is unchanged.
set -eu
cache=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/local/go/bin/go ] && PATH=/usr/local/go/bin:$PATH
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export PATH HOME GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false
work=$cache/src/otelcol-$version
mkdir -p "$work/bin"
exec 8>"$work/.lock"
flock 8
sed "s/{version_bare}/$version/g" "$here/builder.yml" > "$work/builder.yml"
# dist.output_path is the driver's: appended under `dist:` (the manifest's first key).
awk -v out="$work/dist" '{ print } /^dist:$/ { print "  output_path: " out }' "$work/builder.yml" > "$work/builder.rendered.yml"
stamp="$(sha256sum < "$work/builder.rendered.yml" | cut -c1-64) $(go env GOVERSION) builder=v$version"
binary=$work/dist/otelcol-contrib
if [ -x "$binary" ] && [ -f "$binary.stamp" ] && [ "$(cat "$binary.stamp")" = "$stamp" ]; then
  echo "$binary"
  exit 0
fi
GOBIN=$work/bin go install -trimpath "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
start=$(date +%s)
"$work/bin/builder" --config "$work/builder.rendered.yml" >&2
echo "[otelcol] built in $(( $(date +%s) - start ))s" >&2
printf '%s\n' "$stamp" > "$binary.stamp"
echo "$binary"
