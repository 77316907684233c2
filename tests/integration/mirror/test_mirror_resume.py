"""An interrupted run continues where it stopped.

The fake Harbor slows every blob request down (``blob_delay``) so that the run can be
stopped half-way with SIGTERM, as Ansible or an operator would; the rerun must copy
only what is missing and end with the same digests as an uninterrupted run.
"""

import json
import os
import signal

from harness.registry.images import Pusher
from mirror_support import HARBOR_ADMIN_PASSWORD, lab, wait_for  # noqa: F401  # pylint: disable=unused-import


def progress(directory):
    try:
        return json.loads((directory / "progress.json").read_text())
    except (OSError, ValueError):
        return {}


def interrupt_when(proc, directory, token, predicate, timeout=120):
    """SIGTERM the run once its own progress (``token``, not an earlier run's) satisfies ``predicate``."""
    def reached_or_ended():
        state = progress(directory)
        return proc.poll() is not None or (state.get("token") == token and predicate(state))

    reached = wait_for(reached_or_ended, timeout=timeout, interval=0.05)
    assert reached and proc.poll() is None, "the run ended before it could be interrupted: %s" % progress(directory)
    proc.send_signal(signal.SIGTERM)
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert out.strip(), "the interrupted engine printed no answer (rc %s): %s" % (proc.returncode, err.decode()[-3000:])
    return proc.returncode, json.loads(out.decode())


def slow_source(lab):  # noqa: F811
    """The test images again, in a project of the fake Harbor (which can be slowed down)."""
    lab.harbor_project("slowsrc")
    pusher = Pusher(lab.backend)
    for name, artifact in lab.artifacts.items():
        pusher.push("slowsrc/src/%s" % name, artifact)
    return [{"registry": lab.harbor.host, "username": "admin", "password": HARBOR_ADMIN_PASSWORD}]


def test_mirror_to_disk_interrupted_then_resumed(lab, tmp_path):  # noqa: F811
    credentials = slow_source(lab)
    manifest = lab.manifest(tmp_path / "manifest.yml", registry=lab.harbor.host, repo_prefix="slowsrc/src")
    directory = tmp_path / "connected"
    params = lab.cli_params("mirror_to_disk", directory, manifest, source_credentials=credentials, concurrency=1,
                            progress_token="m2d-resume")
    lab.harbor.blob_delay = 0.4
    try:
        proc = lab.run_cli(params, wait=False)
        rc, first = interrupt_when(proc, directory, "m2d-resume", lambda p: p.get("images_done", 0) >= 1)
    finally:
        lab.harbor.blob_delay = 0.0
    assert rc == 1 and first["msg"].startswith("interrupted by signal %d" % signal.SIGTERM), first["msg"]
    done_first = sorted(i["name"] for i in first["images"] if i["status"] == "copied")
    assert 1 <= len(done_first) < 4
    inventory = json.loads((directory / "store" / "inventory.json").read_text())
    assert sorted(i["name"] for i in inventory["images"] if i["complete"]) == done_first
    bytes_first = first["summary"]["bytes_transferred"]

    rc, second = lab.run_cli(params)
    assert rc == 0, second
    statuses = dict((i["name"], i["status"]) for i in second["images"])
    assert sorted(n for n, s in statuses.items() if s == "present") == done_first
    assert sorted(n for n, s in statuses.items() if s == "copied") == sorted(set(lab.digests) - set(done_first))
    inventory = json.loads((directory / "store" / "inventory.json").read_text())
    unique = sum(inventory["blobs"].values())
    # Nothing was fetched twice: both runs together transferred each blob once. (The interrupted
    # image's blobs that had landed count in neither run, so the sum is at most the unique size.)
    assert bytes_first + second["summary"]["bytes_transferred"] <= unique
    assert second["summary"]["bytes_transferred"] < unique
    assert dict((i["name"], i["digest"]) for i in inventory["images"]) == lab.digests
    assert all(i["complete"] for i in inventory["images"])
    leftovers = [n for n in os.listdir(str(directory / "store" / "blobs" / "sha256")) if len(n) != 64]
    assert leftovers == []


def test_disk_to_mirror_interrupted_then_resumed(lab, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "manifest.yml")
    directory = tmp_path / "disk"
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", directory, manifest))
    assert rc == 0, answer
    project = lab.unique("resume")
    lab.harbor_project(project)
    params = lab.cli_params("disk_to_mirror", directory, manifest, registry=lab.harbor.host, project=project,
                            dest_username="admin", dest_password=HARBOR_ADMIN_PASSWORD, concurrency=1,
                            progress_token="d2m-resume")
    lab.harbor.blob_delay = 0.3
    try:
        proc = lab.run_cli(params, wait=False)
        rc, first = interrupt_when(proc, directory, "d2m-resume", lambda p: p.get("images_done", 0) >= 1)
    finally:
        lab.harbor.blob_delay = 0.0
    assert rc == 1 and first["msg"].startswith("interrupted by signal")
    pushed_first = sorted(i["name"] for i in first["images"] if i["status"] == "copied")
    assert 1 <= len(pushed_first) < 4
    with open(first["report"]) as handle:
        report = json.load(handle)
    assert sorted(i["name"] for i in report["images"] if i["status"] == "copied") == pushed_first
    assert all(i["status"] in ("copied", "not_attempted", "failed") for i in report["images"])

    offset = lab.backend.log_offset()
    rc, second = lab.run_cli(params)
    assert rc == 0, second
    statuses = dict((i["name"], i["status"]) for i in second["images"])
    assert sorted(n for n, s in statuses.items() if s == "present") == pushed_first
    assert lab.backend.transfers_since(offset)["manifest_puts"] >= 4 - len(pushed_first)
    for name, digest in lab.digests.items():
        assert lab.manifest_digest(lab.backend, "%s/src/%s" % (project, name), digest) == digest
