#!/usr/bin/env bash
# The ansible-core matrix: for each ROW (ansible-core version @ Python version, for
# example 2.16.19@3.11), ansible-test sanity (hack/sanity.sh, no ignore files) and
# the unit tests, each row in its own cached venv (hack/matrix/venv.sh), one row
# after another. With --converge-ends, the first and the last row also converge the
# platform on the local control plane twice (hack/matrix/converge.sh: the second
# run must change nothing). Prints a table of the results and their times, also
# written to $AIRGAP_CACHE/matrix/report-<checkout key>.md; exits 1 if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd -P)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
export AIRGAP_CACHE=$cache
converge_ends=false
if [ "${1:-}" = --converge-ends ]; then
  converge_ends=true
  shift
fi
[ "$#" -gt 0 ] || { echo "usage: hack/matrix/run.sh [--converge-ends] CORE@PYTHON..." >&2; exit 2; }
rows=("$@")
repo_key=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
# The main venv's (the Makefile's VENV: keyed by the hash of requirements.txt).
main_venv=$cache/venv-$(sha256sum <"$repo/requirements.txt" | cut -c1-12)
collections=${MATRIX_COLLECTIONS:-$main_venv/lib/python3.11/site-packages/ansible_collections}
[ -d "$collections" ] || { echo "error: no collections at $collections (run make venv)" >&2; exit 1; }
logs=$cache/matrix/logs-$repo_key
report=$cache/matrix/report-$repo_key.md
mkdir -p "$logs"

# Times one step of a row: "pass" or "FAIL", and the seconds, into $result and $seconds.
step() {
  local log=$1
  shift
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then result=pass; else result=FAIL; fi
  seconds=$((SECONDS - start))
}

table=("| ansible-core | Python | sanity | units | converge + idempotence | time |" "|---|---|---|---|---|---|")
failed=0
for index in "${!rows[@]}"; do
  row=${rows[$index]}
  core=${row%@*}
  python_version=${row#*@}
  row_start=$SECONDS
  echo "== ansible-core $core on Python $python_version" >&2
  step "$logs/$core-venv.log" "$here/venv.sh" "$core" "$python_version"
  if [ "$result" = FAIL ]; then
    table+=("| $core | $python_version | venv failed | - | - | ${seconds} s |")
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

  step "$logs/$core-sanity.log" env ANSIBLE_CORE="$core" SANITY_PYTHON="$python_version" "$repo/hack/sanity.sh"
  sanity="$result ($seconds s)"
  [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-sanity.log" >&2; }

  step "$logs/$core-units.log" env PATH="$venv/bin:$PATH" "$repo/hack/pytest.sh" -q "$repo/tests/unit"
  units="$result ($seconds s, $(grep -Eo '[0-9]+ passed' "$logs/$core-units.log" | tail -n 1 || echo '0 passed'))"
  [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-units.log" >&2; }

  converge="not run (middle row)"
  if $converge_ends && { [ "$index" -eq 0 ] || [ "$index" -eq $((${#rows[@]} - 1)) ]; }; then
    step "$logs/$core-converge.log" "$here/converge.sh" "$venv" "dify-matrix-$(echo "${core%.*}" | tr . -)"
    converge="$result ($seconds s, $(grep -Eo 'second run changed=[0-9]+' "$logs/$core-converge.log" | tail -n 1 || true))"
    [ "$result" = pass ] || { failed=1; tail -n 30 "$logs/$core-converge.log" >&2; }
  fi
  table+=("| $core | $python_version | $sanity | $units | $converge | $((SECONDS - row_start)) s |")
done

printf '%s\n' "${table[@]}" | tee "$report"
echo "logs: $logs" >&2
exit "$failed"
