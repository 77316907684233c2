#!/usr/bin/env bash
# The ansible-core matrix: for each ROW (ansible-core version @ Python version, for
# example 2.16.19@3.11), ansible-test sanity (hack/sanity.sh, no ignore files) and
# the unit tests, each row in its own cached venv (hack/matrix/venv.sh), one row
# after another; within a row sanity and the unit tests run side by side (each is
# single-threaded: two cores, two steps; MATRIX_PARALLEL=0 runs them one after the
# other). With --converge-ends, the first and the last row also converge the
# platform on the local control plane twice (hack/matrix/converge.sh: the second
# run must change nothing). --covered ROW names a row that other phases of `make test` run
# (`make sanity` and `make units` run the pin of requirements.txt): it is not run again, and
# its line gives the latest result of those phases (hack/phases/time.sh's log). Prints a table
# of the results with each step's wall-clock and CPU time (user + sys of its processes: what
# it costs on an idle machine) and each row's load average (1 min) at its start and end, then
# the whole run's date, wall-clock, CPU and result, also written to $AIRGAP_CACHE/matrix/report-<checkout key>.md;
# exits 1 if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd -P)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
export AIRGAP_CACHE=$cache
converge_ends=false
parallel=${MATRIX_PARALLEL:-1}
covered=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --converge-ends) converge_ends=true ;;
    --covered) covered+=("${2:?--covered needs a row}"); shift ;;
    *) break ;;
  esac
  shift
done
[ "$#" -gt 0 ] || { echo "usage: hack/matrix/run.sh [--converge-ends] [--covered CORE@PYTHON]... CORE@PYTHON..." >&2; exit 2; }
rows=("$@")
repo_key=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
# The main venv's (the Makefile's VENV: keyed by the hash of requirements.txt).
main_venv=$cache/venv-$(sha256sum <"$repo/requirements.txt" | cut -c1-12)
collections=${MATRIX_COLLECTIONS:-$main_venv/lib/python3.11/site-packages/ansible_collections}
[ -d "$collections" ] || { echo "error: no collections at $collections (run make venv)" >&2; exit 1; }
logs=$cache/matrix/logs-$repo_key
report=$cache/matrix/report-$repo_key.md
mkdir -p "$logs"

# The CPU seconds (user + sys) of every child process this shell has waited for so far, into
# $cpu_now. `times` runs in this shell, not in a $(...) subshell, which would report its own.
cpu_file=$(mktemp)
trap 'rm -f "$cpu_file"' EXIT
cpu() {
  times >"$cpu_file"
  cpu_now=$(tail -n 1 "$cpu_file" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { printf "%d", s }')
}

# Times one step of a row: "pass" or "FAIL", its wall-clock and CPU seconds, into $result,
# $seconds and $cpu_seconds.
step() {
  local log=$1
  shift
  local start=$SECONDS cpu_start
  cpu
  cpu_start=$cpu_now
  if "$@" >"$log" 2>&1; then result=pass; else result=FAIL; fi
  seconds=$((SECONDS - start))
  cpu
  cpu_seconds=$((cpu_now - cpu_start))
}

# step, in a background subshell: its result, wall-clock and CPU seconds go to file $2 as
# "result seconds cpu_seconds". The subshell has a CPU file of its own.
bg_step() {
  local log=$1 out=$2
  shift 2
  rm -f "$out"
  (
    cpu_file=$(mktemp)
    step "$log" "$@"
    rm -f "$cpu_file"
    printf '%s %s %s\n' "$result" "$seconds" "$cpu_seconds" >"$out"
  ) &
}

# The latest run of phase $1 of `make test` in this cache: "pass (N s)", "FAIL (N s)" or "not run".
phase_result() {
  awk -F'\t' -v p="$1" '$1 == p { last = ($3 == 0 ? "pass" : "FAIL") " (" int($4) " s, " $5 ")" } END { print (last ? last : "not run") }' \
    "$cache/phases/times.tsv" 2>/dev/null || echo "not run"
}

table=("| ansible-core | Python | sanity | units | converge + idempotence | wall (CPU), load |" "|---|---|---|---|---|---|")
# The ends are the first and the last row this run runs.
ran=()
for row in "${rows[@]}"; do
  [[ " ${covered[*]} " == *" $row "* ]] || ran+=("$row")
done
failed=0
for row in "${rows[@]}"; do
  core=${row%@*}
  python_version=${row#*@}
  if [[ " ${covered[*]} " == *" $row "* ]]; then
    table+=("| $core | $python_version | \`make sanity\`: $(phase_result sanity) | \`make units\`: $(phase_result units) | not run (middle row) | in those phases |")
    continue
  fi
  row_start=$SECONDS
  row_load=$(cut -d' ' -f1 /proc/loadavg)
  cpu
  row_cpu=$cpu_now
  echo "== ansible-core $core on Python $python_version" >&2
  step "$logs/$core-venv.log" "$here/venv.sh" "$core" "$python_version"
  if [ "$result" = FAIL ]; then
    table+=("| $core | $python_version | venv failed | - | - | ${seconds} s ($cpu_seconds s) |")
    failed=1
    tail -n 20 "$logs/$core-venv.log" >&2
    continue
  fi
  venv=$(tail -n 1 "$logs/$core-venv.log")
  # The other collections the roles and tests use (kubernetes.core; ansible.posix, whose json
  # callback the tests read) are those of the main venv's `ansible` package. The tests set
  # ANSIBLE_COLLECTIONS_PATH to this checkout's alone and find the others on sys.path
  # (ANSIBLE_COLLECTIONS_SCAN_SYS_PATH), so the row's venv links them into its site-packages.
  ln -sfn "$collections" "$(echo "$venv"/lib/python3*/site-packages)/ansible_collections"

  # Sanity and the unit tests share nothing (sanity works in a copy of its own, hack/sanity.sh),
  # and each keeps one core busy: beside each other, unless MATRIX_PARALLEL=0.
  sanity_cmd=(env ANSIBLE_CORE="$core" SANITY_PYTHON="$python_version" "$repo/hack/sanity.sh")
  if [ "$parallel" = 1 ]; then
    bg_step "$logs/$core-sanity.log" "$logs/$core-sanity.step" "${sanity_cmd[@]}"
    sanity_pid=$!
  else
    step "$logs/$core-sanity.log" "${sanity_cmd[@]}"
    printf '%s %s %s\n' "$result" "$seconds" "$cpu_seconds" >"$logs/$core-sanity.step"
  fi

  # The unit tests in a subshell of their own too: the main shell's CPU count would take in the
  # sanity subshell's when it ends during them.
  bg_step "$logs/$core-units.log" "$logs/$core-units.step" env PATH="$venv/bin:$PATH" "$repo/hack/pytest.sh" -q "$repo/tests/unit"
  wait "$!" || true
  read -r result seconds cpu_seconds <"$logs/$core-units.step" || { result=FAIL seconds=0 cpu_seconds=0; }
  units="$result ($seconds s, CPU $cpu_seconds s, $(grep -Eo '[0-9]+ (passed|failed)' "$logs/$core-units.log" | tail -n 2 | paste -sd, - || echo '0 passed')$(grep -o 'role renders: .*' "$logs/$core-units.log" | sed 's/^/, /' || true))"
  [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-units.log" >&2; }

  [ "$parallel" = 1 ] && { wait "$sanity_pid" || true; }
  read -r result seconds cpu_seconds <"$logs/$core-sanity.step" || { result=FAIL seconds=0 cpu_seconds=0; }
  sanity="$result ($seconds s, CPU $cpu_seconds s)"
  [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-sanity.log" >&2; }

  converge="not run (middle row)"
  if $converge_ends && { [ "$row" = "${ran[0]}" ] || [ "$row" = "${ran[-1]}" ]; }; then
    step "$logs/$core-converge.log" "$here/converge.sh" "$venv" "dify-matrix-$(echo "${core%.*}" | tr . -)"
    converge="$result ($seconds s, CPU $cpu_seconds s, $(grep -Eo 'second run changed=[0-9]+' "$logs/$core-converge.log" | tail -n 1 || true))"
    [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-converge.log" >&2; }
  fi
  cpu
  table+=("| $core | $python_version | $sanity | $units | $converge | $((SECONDS - row_start)) s ($((cpu_now - row_cpu)) s), load $row_load to $(cut -d' ' -f1 /proc/loadavg) |")
done

cpu
{
  printf '%s\n' "${table[@]}"
  printf '\n%s, rows run: %s; %s s wall, %s s CPU; load average at the end %s (1, 5, 15 min); result: %s\n' \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "${#ran[@]}" "$SECONDS" "$cpu_now" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$([ "$failed" = 0 ] && echo pass || echo FAIL)"
} | tee "$report"
echo "logs: $logs" >&2
exit "$failed"
