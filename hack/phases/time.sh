#!/usr/bin/env bash
# hack/phases/time.sh PHASE COMMAND...: run COMMAND as the phase PHASE of `make test` and append
# one line to $AIRGAP_CACHE/phases/times.tsv: phase, cold|first|warm, exit status, seconds,
# finished (UTC), CPU seconds (user + system of COMMAND and every descendant it waited for, from
# bash's `times`: on a loaded host the wall time grows with the load, the CPU time barely does). A phase's run is cold when the cache holds no earlier successful run of it and
# the cache was empty when its log began (a fresh machine, or after `make clean-cache`: see
# phases/cache-state, written by run.sh); first when there was no earlier run but the cache was
# not empty (not a cold figure); warm otherwise. hack/phases/table.py prints the table.
set -uo pipefail
phase=$1
shift
# Under `make -n` the phases only print their commands: nothing is timed.
flags=${MAKEFLAGS-}
flags=${flags%% *}
if [[ $flags != -* && $flags == *n* ]]; then
  exec "$@"
fi
dir=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}/phases
log=$dir/times.tsv
mkdir -p "$dir"
kind=first
[[ $(cat "$dir/cache-state" 2>/dev/null) == fresh ]] && kind=cold
if [[ -f $log ]] && awk -F'\t' -v p="$phase" '$1 == p && $3 == 0 { found = 1 } END { exit !found }' "$log"; then
  kind=warm
fi
# `times` prints this shell's, then its waited-for children's, user and system time ("0m1.250s
# 0m0.040s"). It runs in this shell with its output sent to a file: inside $(...) it would count
# the subshell's children, none.
cpu_file=$(mktemp)
children_cpu() {
  awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.1f", s }' "$cpu_file"
}
times >"$cpu_file"
cpu_before=$(children_cpu)
start=$EPOCHREALTIME
"$@"
status=$?
seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
times >"$cpu_file"
cpu=$(awk -v a="$cpu_before" -v b="$(children_cpu)" 'BEGIN { printf "%.1f", b - a }')
rm -f "$cpu_file"
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$kind" "$status" "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$cpu" >>"$log"
exit "$status"
