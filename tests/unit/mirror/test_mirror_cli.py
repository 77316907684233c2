"""The engine command's parameters (plugins/module_utils/release/cli.py) and sizes."""

import io
import json
import os
import time

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import cli, engine

D1 = "sha256:" + "a" * 64
MANIFEST = {"schema": 1, "release": "1", "images": {"a": {"repository": "docker.io/x/a", "digest": D1}}}


def test_settings(tmp_path):
    settings = cli.settings_from({"mode": "disk_to_mirror", "directory": str(tmp_path), "registry": "h.example.com",
                                  "project": "p", "dest_username": "robot$push", "dest_password": "S3cret-pw",
                                  "archive_size": "700M", "platforms": ["linux/amd64"]}, str(tmp_path))
    assert settings.archive_size == 700 << 20 and settings.platforms == {"linux/amd64"}
    assert settings.dest.credentials == {"h.example.com": ("robot$push", "S3cret-pw")}
    assert settings.manifest is None and settings.store == str(tmp_path / "store")


@pytest.mark.parametrize("params, message", [
    ({"mode": "sideways", "directory": "/x"}, "mode must be one of"),
    ({"mode": "mirror_to_disk", "directory": "/x"}, "release manifest is required"),
    ({"mode": "disk_to_mirror", "directory": "/x", "registry": "h"}, "registry and project are required"),
    ({"mode": "mirror_to_disk", "directory": "/x", "manifest": MANIFEST, "bogus": 1}, "unknown parameter"),
    ({"mode": "mirror_to_disk", "directory": "/x", "manifest": MANIFEST, "source_credentials": [{"registry": "r"}]},
     "needs registry, username and password"),
    ({"mode": "mirror_to_disk", "directory": "/x", "manifest": MANIFEST, "archive_size": "lots"}, "not a size"),
    ({"mode": "mirror_to_disk", "directory": "/x", "manifest": dict(MANIFEST, images={"a": {
        "repository": "docker.io/x/a", "tag": "1"}})}, "tag-only reference"),
])
def test_bad_parameters(params, message, tmp_path):
    with pytest.raises(ValidationError, match=message):
        cli.settings_from(params, str(tmp_path))


def test_main_answers_json_even_on_bad_input():
    out = io.StringIO()
    assert cli.main(stdin=io.StringIO("not json"), stdout=out) == 2
    answer = json.loads(out.getvalue())
    assert answer["failed"] is True and "not JSON" in answer["msg"]


@pytest.mark.parametrize("text, size", [("4G", 4 << 30), ("700M", 700 << 20), ("1.5G", int(1.5 * (1 << 30))),
                                        ("2GiB", 2 << 30), ("1048576", 1 << 20), (123, 123), ("0", 0)])
def test_parse_size(text, size):
    assert engine.parse_size(text) == size


def test_wait_returns_when_this_run_ends_or_its_job_does(tmp_path):
    progress = tmp_path / "progress.json"
    clock = iter(range(1000)).__next__
    # An earlier run's progress does not count, and the timeout is kept.
    progress.write_text(json.dumps({"token": "old", "finished": True, "line": "old run"}))
    answer = cli.wait({"directory": str(tmp_path), "token": "new", "timeout": 3}, clock=clock, sleep=lambda s: None)
    assert answer == {"finished": False, "line": "starting", "state": {"token": "old", "finished": True, "line": "old run"}}
    progress.write_text(json.dumps({"token": "new", "finished": False, "line": "copying: 1/2 images"}))
    answer = cli.wait({"directory": str(tmp_path), "token": "new", "timeout": 3}, clock=clock, sleep=lambda s: None)
    assert answer["finished"] is False and answer["line"] == "copying: 1/2 images"
    # The job ended (Ansible's async wrapper replaced {"started": 1} with the result) without progress: done too.
    job = tmp_path / "job"
    job.write_text(json.dumps({"started": 1, "finished": 0}))
    assert cli.wait({"directory": str(tmp_path), "token": "new", "timeout": 2, "job_file": str(job)},
                    clock=clock, sleep=lambda s: None)["finished"] is False
    job.write_text(json.dumps({"rc": 2, "stdout": "{}"}))
    assert cli.wait({"directory": str(tmp_path), "token": "new", "timeout": 100, "job_file": str(job)},
                    clock=clock, sleep=lambda s: None)["finished"] is True
    progress.write_text(json.dumps({"token": "new", "finished": True, "line": "finished"}))
    assert cli.wait({"directory": str(tmp_path), "token": "new", "timeout": 100}, clock=clock,
                    sleep=lambda s: None)["line"] == "finished"


def _start(tmp_path, params, timeout=30):
    runs = tmp_path / ".runs"
    return cli.start(dict(params, directory=str(tmp_path), progress_token="t1",
                          start={"result_file": str(runs / "t1.json"), "timeout": timeout, "run_timeout": 60}))


def test_start_runs_the_engine_detached_and_answers_with_its_report_when_it_ends(tmp_path):
    """A run that ends within the interval: one call, the report in the answer (the role's rerun is one task)."""
    answer = _start(tmp_path, {"mode": "sideways"})
    assert answer["finished"] is True and answer["pid"] > 0
    assert answer["result"]["rc"] == 2
    assert "mode must be one of" in json.loads(answer["result"]["stdout"])["msg"]
    report = tmp_path / ".runs" / "t1.json"
    assert report.stat().st_mode & 0o777 == 0o600
    # The next start drops the report of the run that ended.
    (tmp_path / ".runs" / "old.json").write_text("{}")
    _start(tmp_path, {"mode": "sideways"})
    assert sorted(p.name for p in (tmp_path / ".runs").iterdir() if p.name.endswith(".json")) == ["t1.json"]


def test_wait_sees_an_engine_that_ended_without_its_report(tmp_path):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])  # pylint: disable=consider-using-with
    gone.wait()
    answer = cli.wait({"directory": str(tmp_path), "token": "t", "timeout": 5, "result_file": str(tmp_path / "r.json"),
                       "pid": gone.pid})
    assert answer["finished"] is True and answer["pid"] == gone.pid
    assert answer["result"]["rc"] == 3 and "ended without a report" in answer["result"]["stdout"]


def test_wait_wakes_when_the_engine_ends_without_polling(tmp_path):
    """The wait sleeps on the engine's pidfd: it answers when the engine ends, never by a poll that
    backs off to half a second (a quarter of a second late on average, per side; issue 20)."""
    import subprocess
    import sys

    if not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open here (Python < 3.9 or not Linux): the wait polls")
    result = tmp_path / "r.json"
    engine_like = ("import json, os, sys, time\n"
                   "time.sleep(0.5)\n"
                   "open(sys.argv[1] + '.tmp', 'w').write(json.dumps({'rc': 0, 'stdout': '{}'}))\n"
                   "os.replace(sys.argv[1] + '.tmp', sys.argv[1])\n")
    proc = subprocess.Popen([sys.executable, "-c", engine_like, str(result)])  # pylint: disable=consider-using-with

    def no_polling(_seconds):
        pytest.fail("the wait polled instead of sleeping until the engine ended")

    answer = cli.wait({"directory": str(tmp_path), "token": "t", "timeout": 60, "result_file": str(result),
                       "pid": proc.pid}, sleep=no_polling)
    assert answer["finished"] is True and answer["result"] == {"rc": 0, "stdout": "{}"}
    proc.wait()


def test_a_detached_run_past_its_timeout_reports_it_and_ends_its_copies(tmp_path):
    """mirror_timeout, as async did: the run writes a report saying so and stops every process of its session."""
    import subprocess
    import sys

    from helpers.paths import COLLECTIONS_ROOT

    script = ("import json, subprocess, sys, time\n"
              "from ansible_collections.airgap.dify_platform.plugins.module_utils.release import cli\n"
              "def slow(params, out):\n"
              "    open(sys.argv[2], 'w').write(str(subprocess.Popen(['sleep', '60']).pid))\n"
              "    time.sleep(60)\n"
              "cli.run = slow\n"
              "cli.run_detached({'run': {'result_file': sys.argv[1], 'timeout': 1}})\n")
    result, child = tmp_path / "r.json", tmp_path / "child.pid"
    subprocess.run([sys.executable, "-c", script, str(result), str(child)], env={"PYTHONPATH": str(COLLECTIONS_ROOT)},
                   start_new_session=True, timeout=30, check=False)
    answer = json.loads(result.read_text())
    assert answer["rc"] == 1 and "did not end within 1 seconds" in json.loads(answer["stdout"])["msg"]
    pid = int(child.read_text())
    for _attempt in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the copy the run started (pid %d) still runs" % pid)
