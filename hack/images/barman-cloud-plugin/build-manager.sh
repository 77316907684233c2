#!/usr/bin/env bash
# The Barman Cloud Plugin's `manager` (one static binary: `operator`, `instance`, `restore`)
# built from its Go module, github.com/cloudnative-pg/plugin-barman-cloud@v<VERSION>, into
# <cache>/bin/barman-cloud-plugin-v<VERSION> (warm: it only prints the path). Both images use
# it: barman-cloud-plugin (the operator side) and barman-cloud-sidecar (the instance side,
# tools/ links here). Upstream builds cmd/manager/main.go with CGO off
# (containers/Dockerfile.plugin, Dockerfile.sidecar at v0.15.0).
# Through hack/tools/go-wrapper.sh: the proxy here refuses the version list go install asks for.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
version=${VERSION:?VERSION (the manifest version, without v) must be set}
# shellcheck source=../../tools/go-wrapper.sh
source "$here/../../tools/go-wrapper.sh"
module=github.com/cloudnative-pg/plugin-barman-cloud
go_wrapper_build barman-cloud-plugin "$module" "v${version#v}" "$module/cmd/manager" \
  "${AIRGAP_CACHE:?}/bin/barman-cloud-plugin-v${version#v}" "-s -w"
