"""hack/phases: CPU seconds beside wall seconds, the load during each cold run, one image per phase.

CPU time is what a loaded host does not inflate: time.sh must count the phase's own processes
(bash's `times` read in the shell that waited for them, not in a subshell, which would count none).
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PHASES = REPO / "hack" / "phases"
sys.path.insert(0, str(PHASES))

import table  # noqa: E402  (hack/phases/table.py)

BUSY = "i=0; while [ $i -lt 400000 ]; do i=$((i + 1)); done"


def time_phase(tmp_path, *command):
    env = dict(os.environ, AIRGAP_CACHE=str(tmp_path / "cache"), MAKEFLAGS="")
    proc = subprocess.run([str(PHASES / "time.sh"), "busy", *command], env=env, check=False, timeout=120)
    line = (tmp_path / "cache" / "phases" / "times.tsv").read_text().splitlines()[-1].split("\t")
    return proc.returncode, line


def test_the_cpu_seconds_of_a_busy_phase_are_logged(tmp_path):
    status, line = time_phase(tmp_path, "bash", "-c", BUSY + "; sleep 1")
    assert status == 0
    assert len(line) == 6, line
    wall, cpu = float(line[3]), float(line[5])
    assert cpu >= 0.3, "the busy loop's CPU time was not counted: %s" % line
    assert cpu <= wall + 0.2


def test_a_sleeping_phase_costs_wall_time_and_no_cpu(tmp_path):
    status, line = time_phase(tmp_path, "bash", "-c", "sleep 1.5; exit 4")
    assert status == 4 and line[2] == "4"
    assert float(line[3]) >= 1.5 and float(line[5]) < 0.3


def test_grandchildren_count_too(tmp_path):
    status, line = time_phase(tmp_path, "bash", "-c", "bash -c '%s' & wait" % BUSY)
    assert status == 0 and float(line[5]) >= 0.3, line


def test_the_table_shows_cpu_and_the_load_of_each_cold_run(tmp_path, capsys, monkeypatch):
    phases = tmp_path / "cache" / "phases"
    phases.mkdir(parents=True)
    (phases / "times.tsv").write_text(
        "venv\tcold\t0\t600.0\t2026-12-07T10:10:00Z\n"  # an old line: no CPU field
        "kind-tools\tcold\t0\t120.0\t2026-12-07T10:12:00Z\t200.5\n"
        "kind-tools\twarm\t0\t0.5\t2026-12-07T11:00:00Z\t0.3\n")
    load = tmp_path / "load"
    load.write_text("2026-12-07T10:09:50Z load 9.00 1 1 free 30 GB\n"
                    "2026-12-07T10:10:30Z load 2.00 1 1 free 30 GB\n"
                    "2026-12-07T10:11:30Z load 4.00 1 1 free 29 GB\n"
                    "10:11:40 load 99.0 1 1 free 29 GB\n")
    monkeypatch.setenv("AIRGAP_CACHE", str(tmp_path / "cache"))
    assert table.main(["--load", str(load), "venv", "kind-tools"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert rows["kind-tools"][1:5] == ["2m00.0s", "3m20.5s", "0.5s", "0.3s"]
    assert rows["kind-tools"][-1] == "3.0/4.0"
    assert rows["venv"][1:3] == ["10m00.0s", "-"] and rows["venv"][-1] == "9.0/9.0"
    assert rows["sum"][1:3] == ["12m00.0s", "3m20.5s"]


FAKE_MAKE = """#!/usr/bin/env bash
echo "$*" >>"$FAKE_LOG"
[[ $* != *IMAGES=bad* ]]
"""


def test_an_images_phase_builds_one_image_and_keep_going_runs_past_a_failure(tmp_path):
    fake = tmp_path / "make"
    fake.write_text(FAKE_MAKE)
    fake.chmod(0o755)
    env = dict(os.environ, PHASES_MAKE=str(fake), AIRGAP_CACHE=str(tmp_path / "cache"),
               FAKE_LOG=str(tmp_path / "calls"), BACKGROUND="", MAKEFLAGS="", KEEP_GOING="1")
    proc = subprocess.run([str(PHASES / "run.sh"), "images/bad", "images/redis"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert (tmp_path / "calls").read_text().splitlines() == [
        "--no-print-directory venv", "--no-print-directory images IMAGES=bad",
        "--no-print-directory images IMAGES=redis"]
    assert "images/redis" in proc.stdout and "FAILED" in proc.stdout
