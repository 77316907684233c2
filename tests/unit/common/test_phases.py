"""make test's phase timing (hack/phases): each phase timed, cold told from warm, the table at the end.

A stand-in for make records what it was asked to run and when, so the order, the
background builds and the failure path can be checked without running a tier.
"""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FAKE_MAKE = """#!/usr/bin/env bash
# $1 is --no-print-directory, $2 the phase
echo "start $2 $EPOCHREALTIME" >>"$FAKE_LOG"
case $2 in
  promtool) sleep 1 ;;
  # With a background build, lint waits (up to 10 s) for it to start: built beside lint, the
  # two overlap however loaded the host; built after it, lint ends first and the test fails.
  lint) sleep 0.2
        if [ -n "$BACKGROUND" ]; then
          for _ in $(seq 100); do grep -q "^start $BACKGROUND " "$FAKE_LOG" && break; sleep 0.1; done
        fi ;;
  broken) exit 3 ;;
esac
echo "end $2 $EPOCHREALTIME" >>"$FAKE_LOG"
"""


def run(tmp_path, *phases, cache=None, background="promtool"):
    fake = tmp_path / "make"
    fake.write_text(FAKE_MAKE)
    fake.chmod(0o755)
    cache = cache or tmp_path / "cache"
    env = dict(os.environ, PHASES_MAKE=str(fake), AIRGAP_CACHE=str(cache), FAKE_LOG=str(tmp_path / "calls"),
               BACKGROUND=background, MAKEFLAGS="")
    proc = subprocess.run([str(REPO / "hack" / "phases" / "run.sh"), *phases], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    return proc, cache


def times(cache):
    return [line.split("\t") for line in (cache / "phases" / "times.tsv").read_text().splitlines()]


def calls(tmp_path):
    return [line.split() for line in (tmp_path / "calls").read_text().splitlines()]


def test_every_phase_is_timed_cold_then_warm_and_the_table_ends_the_run(tmp_path):
    proc, cache = run(tmp_path, "lint", "units", "integration")
    assert proc.returncode == 0, proc.stderr
    assert sorted((t[0], t[1], t[2]) for t in times(cache)) == [
        ("integration", "cold", "0"), ("lint", "cold", "0"), ("promtool", "cold", "0"), ("units", "cold", "0"),
        ("venv", "cold", "0")]
    table = proc.stdout.splitlines()
    assert table[1].split()[:5] == ["phase", "cold", "cold", "cpu", "warm"]
    assert [line.split()[0] for line in table[2:7]] == ["venv", "promtool", "lint", "units", "integration"]
    proc, cache = run(tmp_path, "lint", "units", "integration", cache=cache)
    assert [t[1] for t in times(cache)[5:]] == ["warm"] * 5
    assert "FAILED" not in proc.stdout


def test_the_background_build_overlaps_the_early_phases_and_ends_before_the_others(tmp_path):
    proc = run(tmp_path, "lint", "units", "integration")[0]
    assert proc.returncode == 0, proc.stderr
    at = dict(((event, phase), float(when)) for event, phase, when in calls(tmp_path))
    assert at[("start", "promtool")] < at[("end", "lint")], "promtool was not built beside lint"
    assert at[("end", "promtool")] <= at[("start", "integration")], "integration started before promtool was built"


def test_a_failed_phase_stops_the_run_and_still_prints_the_table(tmp_path):
    proc, cache = run(tmp_path, "lint", "broken", "integration", background="")
    assert proc.returncode == 1
    assert "stopped at phase broken" in proc.stderr
    assert [t[0] for t in times(cache)] == ["venv", "lint", "broken"]
    assert "FAILED" in proc.stdout and "integration" in proc.stdout


def test_a_cache_that_was_not_empty_gives_no_cold_figures(tmp_path):
    cache = tmp_path / "cache"
    (cache / "venv-0123").mkdir(parents=True)
    proc, cache = run(tmp_path, "lint", cache=cache, background="")
    assert proc.returncode == 0, proc.stderr
    assert {t[1] for t in times(cache)} == {"first"}
    assert "*" in proc.stdout


def test_make_n_times_nothing(tmp_path):
    fake = tmp_path / "make"
    fake.write_text(FAKE_MAKE)
    fake.chmod(0o755)
    env = dict(os.environ, AIRGAP_CACHE=str(tmp_path / "cache"), FAKE_LOG=str(tmp_path / "calls"), MAKEFLAGS="n")
    subprocess.run([str(REPO / "hack" / "phases" / "time.sh"), "lint", str(fake), "--no-print-directory", "lint"],
                   env=env, check=True, timeout=60)
    assert not (tmp_path / "cache" / "phases" / "times.tsv").exists()
