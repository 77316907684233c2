#!/usr/bin/env bash
# The browser tier on kind, before its tests (make browser-kind): what needs podman or mounts
# runs here, outside the tests' mount namespace. Idempotent; warm runs build and push nothing.
#  1. the platform images (hack/images: Keycloak, OAuth2-Proxy, the Dify stand-ins) and the test
#     router image (tests/browser/kind_images.py), pushed by digest to the Harbor stand-in;
#  2. the kind cluster AIRGAP_KIND_CLUSTER (default airgap-sso), its nodes trusting the stand-in's
#     CA, with AIRGAP_KIND_INGRESS_ADDRESS:443 mapped to the router's NodePort;
#  3. the real CRDs (Route, ...) and pre-made volumes (prepare.yml).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
export AIRGAP_KIND_CLUSTER=${AIRGAP_KIND_CLUSTER:-airgap-sso}
export AIRGAP_KIND_INGRESS_ADDRESS=${AIRGAP_KIND_INGRESS_ADDRESS:-127.0.78.1}
mkdir -p "$cache/browser-kind"
make -C "$repo" --no-print-directory images IMAGES="keycloak oauth2-proxy standin"
CONTAINERS_CONF=$cache/images/containers.conf python "$repo/tests/browser/kind_images.py" \
  >"$cache/browser-kind/images.json.new"
mv "$cache/browser-kind/images.json.new" "$cache/browser-kind/images.json"
AIRGAP_KIND_REGISTRY=host.containers.internal:5443 AIRGAP_KIND_REGISTRY_CA=$cache/harbor-standin/ca/ca.crt \
  "$repo/hack/kind/up.sh" >/dev/null
KUBECONFIG=$cache/kind/$AIRGAP_KIND_CLUSTER/kubeconfig K8S_AUTH_KUBECONFIG=$cache/kind/$AIRGAP_KIND_CLUSTER/kubeconfig \
  ansible-playbook "$repo/tests/browser/kind/prepare.yml"
# The port mapping exists only if the cluster was created with it.
ENGINE=${KIND_EXPERIMENTAL_PROVIDER:-podman}
if ! CONTAINERS_CONF=$cache/kind/containers.conf "$ENGINE" port "$AIRGAP_KIND_CLUSTER-control-plane" 2>/dev/null |
  grep -q "$AIRGAP_KIND_INGRESS_ADDRESS:443"; then
  echo "setup.sh: $AIRGAP_KIND_CLUSTER has no port mapping $AIRGAP_KIND_INGRESS_ADDRESS:443; delete it (make browser-kind-down) and run again" >&2
  exit 1
fi
