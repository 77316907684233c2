#!/usr/bin/env bash
# Show the health of the local control plane "airgap": components, nodes and the
# kubeconfig path. Exits non-zero when the cluster is down or unhealthy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! cluster_exists; then
  log "cluster $CLUSTER_NAME is down (run hack/localcluster/up.sh)"
  exit 1
fi

echo "== components"
pids=$KWOK_WORKDIR/clusters/$CLUSTER_NAME/pids
down=0
for c in $(kw get components 2>/dev/null); do
  if [[ -f "$pids/$c.pid" ]] && kill -0 "$(<"$pids/$c.pid")" 2>/dev/null; then
    printf '%-24s running (pid %s)\n' "$c" "$(<"$pids/$c.pid")"
  else
    printf '%-24s NOT running\n' "$c"
    down=1
  fi
done
echo "== API server"
kc get --raw '/readyz?verbose' --request-timeout=5s | tail -n 1 || true
kc version 2>/dev/null | sed -n 's/^Server Version: /server: /p' || true
echo "== nodes"
kc get nodes -o wide --request-timeout=5s || true
echo "== kubeconfig"
echo "KUBECONFIG=$KUBECONFIG_PATH"

if ((down)) || ! cluster_healthy; then
  log "cluster $CLUSTER_NAME is NOT healthy (need all components running, /readyz ok and $NODE_COUNT Ready nodes)"
  exit 1
fi
