"""The role's mirror_engine step (plugins/module_utils/release/runner.py), shared by its action plugin and module."""

import json
import os
import sys

from helpers.paths import COLLECTIONS_ROOT

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import runner

ARGS = {"directory": None, "token": "t1", "timeout": 30, "run_timeout": 60, "python": sys.executable,
        "pythonpath": str(COLLECTIONS_ROOT), "pid": None, "dest_password": "Push-Secret-1",
        "source_credentials": [{"registry": "src.example.com", "username": "u", "password": "Src-Secret-1"}]}


def test_check_mode_plans_with_the_secrets_and_names_set_by_the_step(tmp_path):
    seen = {}

    def run_sync(argv, stdin, env):
        seen.update(argv=argv, params=json.loads(stdin), env=env)
        return 0, json.dumps({"failed": False, "changed": True, "summary": {"would_copy": 1}}), ""

    args = dict(ARGS, directory=str(tmp_path), params={"mode": "mirror_to_disk", "check_mode": False})
    result = runner.step(args, True, run_sync, environ={"PYTHONPATH": "/elsewhere"})
    assert seen["argv"][1:] == ["-m", "ansible_collections.airgap.dify_platform.plugins.module_utils.release.cli"]
    assert seen["params"]["check_mode"] is True and seen["params"]["directory"] == str(tmp_path)
    assert seen["params"]["progress_token"] == "t1" and seen["params"]["dest_password"] == "Push-Secret-1"
    assert seen["params"]["source_credentials"][0]["password"] == "Src-Secret-1"
    assert seen["env"]["PYTHONPATH"] == os.pathsep.join([str(COLLECTIONS_ROOT), "/elsewhere"])
    assert result["finished"] is True and result["engine_rc"] == 0 and result["report"]["summary"]["would_copy"] == 1
    assert not list(tmp_path.iterdir()), "check mode writes nothing"


def test_a_started_run_that_ends_answers_with_its_report_and_never_an_rc(tmp_path):
    """Ansible fails a task whose rc is not 0: the engine's exit status is engine_rc, for the role's task to judge."""
    args = dict(ARGS, directory=str(tmp_path), params={"mode": "sideways"})
    result = runner.step(args, False, None)
    assert result["finished"] is True and result["pid"] > 0 and result["changed"] is False
    assert "rc" not in result and result["engine_rc"] == 2
    assert "mode must be one of" in result["report"]["msg"]
    # Followed again by its pid: the same report.
    again = runner.step(dict(ARGS, directory=str(tmp_path), pid=result["pid"]), False, None)
    assert again["finished"] is True and again["report"] == result["report"]


def test_an_engine_that_printed_no_answer_is_reported_with_what_it_printed():
    result = runner.outcome({"finished": True, "result": {"rc": 3, "stdout": "Traceback ...", "stderr": "boom"}})
    assert result["engine_rc"] == 3 and "report" not in result and result["output"] == "Traceback ...boom"
    assert runner.outcome({"finished": False, "line": "copying", "pid": 7}) == {
        "changed": False, "finished": False, "line": "copying", "pid": 7}
