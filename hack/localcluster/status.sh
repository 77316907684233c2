#!/usr/bin/env bash
# Show the health of the local control plane "airgap": components, nodes and the
# kubeconfig path. Exits non-zero when the cluster is down or unhealthy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! cluster_exists; then
  log "cluster $CLUSTER_NAME is down (run hack/localcluster/up.sh)"
  exit 1
fi

echo "== components (kwokctl)"
kw get components || true
echo "== API server"
kc get --raw '/readyz?verbose' --request-timeout=5s | tail -n 1 || true
kc version 2>/dev/null | sed -n 's/^Server Version: /server: /p' || true
echo "== nodes"
kc get nodes -o wide --request-timeout=5s || true
echo "== kubeconfig"
echo "KUBECONFIG=$KUBECONFIG_PATH"

if ! cluster_healthy; then
  log "cluster $CLUSTER_NAME is NOT healthy (need /readyz ok and $NODE_COUNT Ready nodes)"
  exit 1
fi
