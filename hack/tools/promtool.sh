#!/usr/bin/env bash
# Build promtool from Prometheus' published Go module into $AIRGAP_CACHE/bin/promtool.
# Skipped when the stamp (module version, Go version, build flags) is unchanged; prints
# the binary's path on stdout either way.
#
# Prometheus tags its Go module v0.<major*100+minor>.<patch>: v0.315.0 is Prometheus 3.15.0.
# Its go.mod has a replace directive, so `go install ...@version` refuses it: like etcd in
# hack/localcluster/build.sh, it is built from a throwaway wrapper module that copies the
# module's version-to-version replaces.
set -euo pipefail

# The one place the version is pinned.
PROMETHEUS_MODULE_VERSION=v0.315.0
PROMETHEUS_MODULE=github.com/prometheus/prometheus
GO_MIN_VERSION=1.26.0 # the module's go.mod says go 1.26.0

AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
BIN_DIR=$AIRGAP_CACHE/bin
SRC_DIR=$AIRGAP_CACHE/src
WRAPPER_DIR=$SRC_DIR/promtool-wrapper

log() { printf '[promtool] %s\n' "$*" >&2; }
die() { printf '[promtool] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || die "Go toolchain not found: install Go >= $GO_MIN_VERSION and put 'go' on PATH"
# Never download another toolchain; never pick up a go.work from a parent directory.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
have=$(go env GOVERSION)
have=${have#go}
[[ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" == "$GO_MIN_VERSION" ]] ||
  die "Go $have is too old: need Go >= $GO_MIN_VERSION"

# v0.315.0 -> 3.15.0
minor_field=${PROMETHEUS_MODULE_VERSION#v0.}
minor_field=${minor_field%%.*}
PROMETHEUS_VERSION=$((10#$minor_field / 100)).$((10#$minor_field % 100)).${PROMETHEUS_MODULE_VERSION##*.}

LDFLAGS_BASE="-s -w"
STAMP="$PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$LDFLAGS_BASE"

mkdir -p "$BIN_DIR" "$SRC_DIR"
exec 8>"$SRC_DIR/.promtool.lock"
flock 8

if [[ -x "$BIN_DIR/promtool" && -f "$BIN_DIR/.promtool.stamp" && "$(<"$BIN_DIR/.promtool.stamp")" == "$STAMP" ]]; then
  log "promtool $PROMETHEUS_VERSION: up to date"
  echo "$BIN_DIR/promtool"
  exit 0
fi

start=$SECONDS
log "building promtool $PROMETHEUS_VERSION ($PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION)"
info=$(go mod download -json "$PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION") ||
  die "could not download $PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION"
field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",*\$/\\1/p" <<<"$info" | head -n1; }
gomod=$(field GoMod)
revision=$(field Hash)
build_date=$(go list -m -f '{{.Time.UTC.Format "20060102-15:04:05"}}' "$PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION")
[[ -f "$gomod" ]] || die "no go.mod for $PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION"

# Version-to-version replaces of the module (local-path replaces would not resolve here).
replaces=$(awk '
  $1 == "replace" && $3 == "=>" && $4 !~ /^\.|^\// { printf "replace %s => %s %s\n", $2, $4, $5 }
' "$gomod")

rm -rf "$WRAPPER_DIR"
mkdir -p "$WRAPPER_DIR"
{
  echo "module airgap.local/promtool-wrapper"
  echo
  echo "go $GO_MIN_VERSION"
  echo
  echo "require $PROMETHEUS_MODULE $PROMETHEUS_MODULE_VERSION"
  [[ -z "$replaces" ]] || printf '\n%s\n' "$replaces"
  echo
  echo "tool $PROMETHEUS_MODULE/cmd/promtool"
} >"$WRAPPER_DIR/go.mod"
(cd "$WRAPPER_DIR" && go mod tidy)

v=github.com/prometheus/common/version
ldflags="$LDFLAGS_BASE -X $v.Version=$PROMETHEUS_VERSION -X $v.Revision=$revision"
ldflags+=" -X $v.Branch=v$PROMETHEUS_VERSION -X $v.BuildUser=airgap.dify_platform -X $v.BuildDate=$build_date"
# The same tags as the upstream release build (.promu.yml).
(cd "$WRAPPER_DIR" && go build -trimpath -tags netgo,builtinassets -ldflags "$ldflags" \
  -o "$BIN_DIR/promtool.new" "$PROMETHEUS_MODULE/cmd/promtool")
mv -f "$BIN_DIR/promtool.new" "$BIN_DIR/promtool"
printf '%s\n' "$STAMP" >"$BIN_DIR/.promtool.stamp"
log "promtool $PROMETHEUS_VERSION built in $((SECONDS - start))s"
echo "$BIN_DIR/promtool"
