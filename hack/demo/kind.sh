#!/usr/bin/env bash
# The platform on the kind cluster of `make kind-up` (AIRGAP_KIND_CLUSTER, default airgap-dify):
# the images built here pushed by digest to the Harbor stand-in and trusted by the nodes
# (molecule/kind/prepare.yml), the waves of inventories/kind converged on real pods, then the
# pods and the live connectivity matrix (tests/connectivity/live.py). Needs the cluster up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=hack/kind/lib.sh disable=SC1091  # checked on its own; sourced from the repo root (cd above)
source hack/kind/lib.sh
ensure_engine
kind_cluster_exists || die "no kind cluster $KIND_CLUSTER_NAME: run make kind-up first"
export KUBECONFIG=$KIND_KUBECONFIG K8S_AUTH_KUBECONFIG=$KIND_KUBECONFIG AIRGAP_KIND_CLUSTER=$KIND_CLUSTER_NAME
# prepare.yml reads the cluster's kubeconfig where molecule keeps it; here, beside the cluster's.
export MOLECULE_EPHEMERAL_DIRECTORY=$KIND_CACHE/$KIND_CLUSTER_NAME
inventory=inventories/kind

log "prepare: CRDs, the Harbor stand-in with the images built here, the nodes' trust, volumes"
ansible-playbook molecule/kind/prepare.yml
log "converge: ansible-playbook -i $inventory playbooks/site.yml"
ansible-playbook -i "$inventory" playbooks/site.yml

# Only the variables that choose the contract's combination (live_plan.combination_for).
variables=$(ansible-inventory -i "$inventory" --host localhost | python -c '
import json, sys
v = json.load(sys.stdin)
keys = ("dify_platform_namespace", "dify_platform_components", "keycloak_mode", "dify_storage_type",
        "dify_platform_sandbox_enabled", "langfuse_clickhouse_mode")
print(json.dumps({k: v[k] for k in keys if k in v}))')
namespace=$(python -c 'import json, sys; print(json.load(sys.stdin)["dify_platform_namespace"])' <<<"$variables")
kk get pods -n "$namespace" -o wide
kk get pods -n "$namespace-sandbox" -o wide
log "live connectivity: every derived flow dialled from its source pod (tests/connectivity/live.py)"
python tests/connectivity/live.py --namespace "$namespace" --variables "$variables" \
  --output "$KIND_CACHE/$KIND_CLUSTER_NAME/live-connectivity.txt" | tail -n 3
log "the platform runs on kind cluster $KIND_CLUSTER_NAME: KUBECONFIG=$KIND_KUBECONFIG"
