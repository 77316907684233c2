#!/usr/bin/env bash
# Delete the local control plane "airgap" and its kubeconfig. Idempotent.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lock_cluster
if cluster_exists; then
  log "deleting cluster $CLUSTER_NAME"
  kw delete cluster --kubeconfig "$KUBECONFIG_PATH" >"$STATE_DIR/delete.log" 2>&1 ||
    die "kwokctl delete cluster failed; see $STATE_DIR/delete.log"
else
  log "cluster $CLUSTER_NAME does not exist"
fi
rm -f "$KUBECONFIG_PATH" "$STATE_DIR/applied.stamp"
