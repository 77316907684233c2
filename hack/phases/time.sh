#!/usr/bin/env bash
# hack/phases/time.sh PHASE COMMAND...: run COMMAND as the phase PHASE of `make test` and append
# one line to $AIRGAP_CACHE/phases/times.tsv: phase, cold|first|warm, exit status, seconds,
# finished (UTC). A phase's run is cold when the cache holds no earlier successful run of it and
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
start=$EPOCHREALTIME
"$@"
status=$?
seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
printf '%s\t%s\t%s\t%s\t%s\n' "$phase" "$kind" "$status" "$seconds" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log"
exit "$status"
