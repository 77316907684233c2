"""The engine command's parameters (plugins/module_utils/release/cli.py) and sizes."""

import io
import json

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
