#!/usr/bin/env bash
# Delete the local control plane "airgap" and its kubeconfig. Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if cluster_exists; then
  log "deleting cluster $CLUSTER_NAME"
  kw delete cluster --kubeconfig "$KUBECONFIG_PATH" >/dev/null
else
  log "cluster $CLUSTER_NAME does not exist"
fi
rm -f "$KUBECONFIG_PATH" "$STATE_DIR/applied.stamp"
