#!/usr/bin/env bash
# make bench-deploy: the whole platform on the local control plane.
#   cold     site.yml on a fresh cluster (cluster start-up not counted)
#   no-op    site.yml again, nothing to change
#   no-op, new bastion  the same with an empty record of applied objects and
#            memo of rendered templates (XDG_CACHE_HOME of its own), so every
#            template is rendered and every object sent, as kubectl does
#   kubectl  `kubectl apply --server-side` of the same rendered objects
# and the ratio no-op / kubectl, plus the share of the no-op spent in the
# apply_wave tasks (render, apply and wait) against the same kubectl baseline.
# Run from the repo root through make, which exports AIRGAP_CACHE, KUBECONFIG
# and K8S_AUTH_KUBECONFIG.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

site() { ansible-playbook -i inventories/local playbooks/site.yml "$@"; }
# The record of applied objects lives under XDG_CACHE_HOME: one of the run's own,
# so that the cold converge starts without one and nothing outside is touched.
export XDG_CACHE_HOME=$out/xdg
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
# The no-op runs twice (best of two), with the json callback, so that the
# time of the apply_wave tasks (render, apply, wait) can be told apart from
# the rest (Keycloak API, Ansible itself).
noop_run() {  # [XDG_CACHE_HOME]
  local took
  took=$(XDG_CACHE_HOME=${1:-$XDG_CACHE_HOME} ANSIBLE_STDOUT_CALLBACK=json seconds site)
  python3 hack/bench/noop_summary.py "$out/last.log" >"$out/summary" ||
    { echo "error: the no-op converge changed something or failed" >&2; exit 1; }
  echo "$took $(cat "$out/summary")"
}
read -r noop apply_count apply_sum rendered recalled <<<"$(noop_run)"
read -r noop2 apply_count2 apply_sum2 rendered2 recalled2 <<<"$(noop_run)"
if python3 -c "import sys; sys.exit(0 if $noop2 < $noop else 1)"; then
  noop=$noop2 apply_count=$apply_count2 apply_sum=$apply_sum2 rendered=$rendered2 recalled=$recalled2
fi
read -r fresh _ _ fresh_rendered _ <<<"$(noop_run "$out/xdg-new-bastion-1")"
read -r fresh2 _ _ _ _ <<<"$(noop_run "$out/xdg-new-bastion-2")"
fresh=$(calc "min($fresh, $fresh2)")
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
printf '%-52s %8.2f\n' "no-op converge (site.yml, best of 2)" "$noop"
printf '%-52s %8.2f\n' "  of which the $apply_count apply_wave tasks" "$apply_sum"
printf '%-52s %8s\n' "  templates rendered / recalled (tasks not no_log)" "$rendered / $recalled"
printf '%-52s %8.2f\n' "no-op from a new bastion (no record, best of 2)" "$fresh"
printf '%-52s %8s\n' "  templates rendered (tasks not no_log)" "$fresh_rendered"
printf '%-52s %8.2f\n' "kubectl apply --server-side ($objects objects, best of 3)" "$kubectl"
printf '%-52s %8.2f\n' "ratio no-op / kubectl" "$(calc "$noop / $kubectl")"
printf '%-52s %8.2f\n' "ratio apply_wave tasks / kubectl" "$(calc "$apply_sum / $kubectl")"
printf '%-52s %8.2f\n' "ratio no-op from a new bastion / kubectl" "$(calc "$fresh / $kubectl")"
