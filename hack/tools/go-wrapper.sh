# shellcheck shell=bash
# Source me. go_wrapper_build NAME MODULE VERSION PACKAGE BINARY LDFLAGS builds PACKAGE of
# MODULE@VERSION into BINARY through a throwaway wrapper module (a `tool` directive), which
# works where `go install module@version` does not: the proxy here refuses some modules'
# version lists, and go install asks for them. Skipped when BINARY.stamp matches; prints
# BINARY on stdout either way. Everything lives in $AIRGAP_CACHE.

go_wrapper_build() {
  local name=$1 module=$2 version=$3 package=$4 binary=$5 ldflags=$6
  local cache=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
  local src=$cache/src wrapper=$cache/src/$name-wrapper stamp start
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 || { echo "[$name] ERROR: Go toolchain not found: put 'go' on PATH" >&2; return 1; }
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false
  stamp="$package@$version $(go env GOVERSION) cgo=$CGO_ENABLED ldflags=$ldflags"
  mkdir -p "$(dirname "$binary")" "$src"
  exec 8>"$src/.$name.lock"
  flock 8
  if [[ -x $binary && -f $binary.stamp && "$(<"$binary.stamp")" == "$stamp" ]]; then
    echo "$binary"
    return 0
  fi
  start=$SECONDS
  echo "[$name] building $package@$version" >&2
  rm -rf "$wrapper" && mkdir -p "$wrapper"
  printf 'module airgap.local/%s-wrapper\n\ngo %s\n\nrequire %s %s\n\ntool %s\n' \
    "$name" "$(go env GOVERSION | sed 's/^go//')" "$module" "$version" "$package" >"$wrapper/go.mod"
  (cd "$wrapper" && go mod tidy && go build -trimpath -ldflags "$ldflags" -o "$binary.new" "$package")
  mv -f "$binary.new" "$binary"
  printf '%s\n' "$stamp" >"$binary.stamp"
  echo "[$name] built in $((SECONDS - start))s" >&2
  echo "$binary"
}
