#!/usr/bin/env bash
# Converge the whole platform on the local control plane twice with the ansible-core
# of venv $1, in namespace $2 (its own, so that a row never meets another row's or
# molecule's objects), the way molecule's default scenario does (same playbook, same
# inventory), and fail unless the second run reports changed=0 and rotated no
# generated Secret. Needs `make cluster-up local-storage local-keycloak` first.
set -euo pipefail
venv=${1:?usage: hack/matrix/converge.sh VENV NAMESPACE}
namespace=${2:?usage: hack/matrix/converge.sh VENV NAMESPACE}
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# molecule/default/molecule.yml's inventory: one host in dify_platform, the local
# inventory's group_vars and the scenario's host_vars.
mkdir -p "$work/inventory" "$work/ephemeral"
printf 'all:\n  children:\n    dify_platform:\n      hosts:\n        local-control-plane:\n' >"$work/inventory/hosts.yml"
ln -s "$repo/inventories/local/group_vars" "$work/inventory/group_vars"
ln -s "$repo/molecule/default/host_vars" "$work/inventory/host_vars"

"$venv/bin/ansible-playbook" --version | head -n 1
for run in first second; do
  echo "== $run run"
  MOLECULE_EPHEMERAL_DIRECTORY=$work/ephemeral PATH=$venv/bin:$PATH \
    "$venv/bin/ansible-playbook" -i "$work/inventory/hosts.yml" -e "dify_platform_namespace=$namespace" \
    "$repo/molecule/default/converge.yml" | tee "$work/$run.log"
done

# PLAY RECAP lines: "host : ok=N changed=N unreachable=N failed=N ...".
changed=$(sed -n '/^PLAY RECAP/,$p' "$work/second.log" | grep -Eo 'changed=[0-9]+' | awk -F= '{sum += $2} END {print sum + 0}')
echo "second run changed=$changed"
# converge.yml appends one digest line of the generated Secrets per run.
digests=$(sort -u "$work/ephemeral/generated-secrets.digests" | wc -l)
echo "generated Secrets: $digests distinct digest(s) over the two runs"
[ "$changed" -eq 0 ] && [ "$digests" -eq 1 ]
