#!/usr/bin/env bash
# hack/phases/run.sh PHASE...: `make test`. Runs `make PHASE` for each phase in order, each timed by
# hack/phases/time.sh, stops at the first that fails, and ends with the table of every phase's cold
# and warm cost (hack/phases/table.py), also after a failure.
#
# The tools that later phases need and the first ones do not (BACKGROUND, default the Go builds
# of promtool, cyclonus and the control plane) are built in the background while the phases that
# need only the venv run (EARLY: lint, sanity, units, changelog-lint), each timed as a phase of
# its own. The first other phase waits for them all, so that make never builds one tool twice at
# once; its own prerequisite then finds the tool built (the builds are stamped).
# A phase `images/NAME` is `make images IMAGES=NAME`: one workload image, timed on its own; a phase
# `go/NAME` is hack/phases/image-go.sh NAME, the Go build of that image's hook (with this run's Go caches).
# KEEP_GOING=1 runs the later phases after a failure too (a cold measurement, hack/phases/cold.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# The recipe does not name $(MAKE), so `make -n test` only prints this command.
make=${PHASES_MAKE:-make}
read -ra background <<<"${BACKGROUND-promtool cyclonus cluster-build}"
early=" ${EARLY-lint sanity units changelog-lint} "
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
logs=$cache/phases/logs
# Whether the cache was empty when the log began: only then are first runs cold figures.
if [[ ! -f $cache/phases/cache-state ]]; then
  if [[ -z $(find "$cache" -mindepth 1 -maxdepth 1 ! -name phases 2>/dev/null | head -n1) ]]; then
    state=fresh
  else
    state=existing
  fi
  mkdir -p "$cache/phases"
  echo "$state" >"$cache/phases/cache-state"
fi
mkdir -p "$logs"

pids=()
# The venv first: every phase and every background build needs it.
# (PHASES_VENV=0 skips it: a cold measurement of Go builds alone, which need no venv.)
if [[ ${PHASES_VENV:-1} == 1 ]]; then
  hack/phases/time.sh venv "$make" --no-print-directory venv || { python3 hack/phases/table.py venv "$@"; exit 1; }
fi
for tool in "${background[@]}"; do
  hack/phases/time.sh "$tool" "$make" --no-print-directory "$tool" >"$logs/$tool.log" 2>&1 &
  pids+=("$!")
done

join() {
  local pid
  for pid in "${pids[@]}"; do
    wait "$pid" || { rc=1; echo "error: a background build failed; see $logs" >&2; }
  done
  pids=()
}

rc=0
for phase in "$@"; do
  [[ $phase == venv ]] && continue
  [[ $early == *" $phase "* ]] || join
  ((rc == 0)) || [[ ${KEEP_GOING:-0} == 1 ]] || break
  target=("$make" --no-print-directory "$phase")
  [[ $phase == images/* ]] && target=("$make" --no-print-directory images "IMAGES=${phase#images/}")
  [[ $phase == go/* ]] && target=(hack/phases/image-go.sh "${phase#go/}")
  if ! hack/phases/time.sh "$phase" "${target[@]}"; then
    rc=1
    [[ ${KEEP_GOING:-0} == 1 ]] && { echo "error: phase $phase failed; going on (KEEP_GOING=1)" >&2; continue; }
    echo "error: make test stopped at phase $phase" >&2
    break
  fi
done
join
python3 hack/phases/table.py venv "${background[@]}" "$@"
exit "$rc"
