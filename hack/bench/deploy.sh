#!/usr/bin/env bash
# make bench-deploy: the whole platform on the local control plane.
#   cold     site.yml on a fresh cluster (cluster start-up not counted)
#   no-op    site.yml again, nothing to change
#   kubectl  `kubectl apply --server-side` of the same rendered objects
# and the ratio no-op / kubectl, plus the share of the no-op spent in the
# apply_wave tasks (apply and wait) against the same kubectl baseline.
# Run from the repo root through make, which exports AIRGAP_CACHE, KUBECONFIG
# and K8S_AUTH_KUBECONFIG.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

site() { ansible-playbook -i inventories/local playbooks/site.yml "$@"; }
calc() { python3 -c "print(round($1, 2))"; }
seconds() {
  local start=$EPOCHREALTIME
  "$@" >"$out/last.log" 2>&1 || { echo "error: $* failed:" >&2; tail -40 "$out/last.log" >&2; exit 1; }
  calc "$EPOCHREALTIME - $start"
}
report() { sed -n '/"wave  component/,/^    \]/p' "$out/last.log" | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p'; }

hack/localcluster/down.sh >/dev/null
hack/localcluster/up.sh >/dev/null
hack/local_storage.sh >/dev/null
python hack/local_keycloak.py start >/dev/null

cold=$(seconds site)
report
# The no-op runs twice (best of two); profile_tasks times each task, so that
# the apply_wave tasks can be told apart from templating and API work.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all
noop=$(seconds site)
grep -q 'changed=0 ' "$out/last.log" || { echo "error: the second converge changed something" >&2; exit 1; }
noop2=$(seconds site)
grep -q 'changed=0 ' "$out/last.log" || { echo "error: the third converge changed something" >&2; exit 1; }
noop=$(calc "min($noop, $noop2)")
applies=$(grep -E ': Apply and wait for wave .* -+ [0-9.]+s$' "$out/last.log" | sed -E 's/.* ([0-9.]+)s$/\1/')
apply_sum=$(echo "$applies" | awk '{ s += $1 } END { printf "%.2f", s }')
apply_count=$(echo "$applies" | grep -c .)
unset ANSIBLE_CALLBACKS_ENABLED PROFILE_TASKS_TASK_OUTPUT_LIMIT
# A last, untimed run writes the rendered objects (Secrets excluded) for kubectl.
mkdir -p "$out/objects"
seconds site -e dify_platform_render_dir="$out/objects" >/dev/null
objects=$(cat "$out"/objects/*.yml | grep -c '^kind:')
kubectl=$(seconds kubectl apply --server-side --field-manager airgap.dify_platform --force-conflicts -f "$out/objects")
for _ in 1 2; do
  again=$(seconds kubectl apply --server-side --field-manager airgap.dify_platform --force-conflicts -f "$out/objects")
  kubectl=$(calc "min($kubectl, $again)")
done

printf '\n%-52s %8s\n' "bench-deploy (local control plane)" "seconds"
printf '%-52s %8.1f\n' "cold converge (site.yml)" "$cold"
printf '%-52s %8.1f\n' "no-op converge (site.yml, best of 2)" "$noop"
printf '%-52s %8.2f\n' "  of which the $apply_count apply_wave tasks" "$apply_sum"
printf '%-52s %8.2f\n' "kubectl apply --server-side ($objects objects, best of 3)" "$kubectl"
printf '%-52s %8.2f\n' "ratio no-op / kubectl" "$(calc "$noop / $kubectl")"
printf '%-52s %8.2f\n' "ratio apply_wave tasks / kubectl" "$(calc "$apply_sum / $kubectl")"
