"""Bad input and bad luck: each gives one clear error, and nothing half-recorded.

The engine is run the way the role runs it (JSON on stdin), except for the Harbor
credentials case, which goes through the role and harbor_project.
"""

import json
import shutil
import subprocess
import uuid

import pytest
import yaml

from mirror_support import HARBOR_ADMIN_PASSWORD, PUSH_SECRET, failure_message, lab  # noqa: F401  # pylint: disable=unused-import

_STORE = {}


@pytest.fixture
def disk(lab, tmp_path):  # noqa: F811
    """A finished mirror_to_disk run (store and 1 MiB parts), copied for each test."""
    if "dir" not in _STORE:
        base = lab.workdir("failures-m2d")
        manifest = lab.manifest(base / "manifest.yml")
        rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", base / "run", manifest,
                                                archive_dir=str(base / "parts"), archive_size="1M"))
        assert rc == 0, answer
        _STORE.update(dir=base, manifest=manifest)
    target = tmp_path / "disk"
    shutil.copytree(str(_STORE["dir"]), str(target), symlinks=True)
    return target, str(target / "manifest.yml")


def push_params(lab, directory, manifest, project, **extra):  # noqa: F811
    params = lab.cli_params("disk_to_mirror", directory, manifest, registry=lab.harbor.host, project=project,
                            dest_username="admin", dest_password=HARBOR_ADMIN_PASSWORD)
    params.update(extra)
    return params


def test_a_corrupted_part_is_detected_and_nothing_is_pushed(lab, disk, tmp_path):  # noqa: F811
    src, manifest = disk
    parts = src / "parts"
    victim = sorted(p for p in parts.iterdir() if ".tar." in p.name)[1]
    original = victim.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    project = lab.unique("corrupt")
    lab.harbor_project(project)
    offset = lab.backend.log_offset()
    rc, answer = lab.run_cli(push_params(lab, tmp_path / "bastion", manifest, project, archive_dir=str(parts)))
    assert rc == 1
    assert "part %s is corrupted" % victim.name in answer["msg"] and "nothing was extracted" in answer["msg"]
    assert not (tmp_path / "bastion" / "store").exists()
    assert lab.backend.transfers_since(offset)["manifest_puts"] == 0 and lab.harbor.project(project)["repo_count"] == 0
    victim.write_bytes(original)  # a good copy of the medium: the same run now succeeds
    rc, answer = lab.run_cli(push_params(lab, tmp_path / "bastion", manifest, project, archive_dir=str(parts)))
    assert rc == 0, answer
    assert answer["summary"]["copied"] == 4


def test_a_corrupted_blob_in_the_store_is_detected(lab, disk):  # noqa: F811
    src, manifest = disk
    inventory = json.loads((src / "run" / "store" / "inventory.json").read_text())
    digest = max(inventory["blobs"], key=lambda d: inventory["blobs"][d])
    blob = src / "run" / "store" / "blobs" / "sha256" / digest[7:]
    data = bytearray(blob.read_bytes())
    data[100] ^= 0x01  # same size, other content
    blob.write_bytes(bytes(data))
    project = lab.unique("badblob")
    lab.harbor_project(project)
    rc, answer = lab.run_cli(push_params(lab, src / "run", manifest, project))
    assert rc == 1
    assert "do not match their digest (corrupted), first %s; nothing was pushed" % digest in answer["msg"]
    assert lab.harbor.project(project)["repo_count"] == 0


def test_tag_only_reference_is_refused_unless_resolved_and_recorded(lab, tmp_path):  # noqa: F811
    repo = "%s/src/app-oci" % lab.source.host
    manifest = tmp_path / "tags.yml"
    manifest.write_text(yaml.safe_dump({"schema": 1, "release": "t", "images": {
        "app": {"repository": repo, "tag": "v1"}}}))
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tmp_path / "refused", str(manifest)))
    assert rc == 2 and "tag-only reference (%s:v1)" % repo in answer["msg"]
    assert not (tmp_path / "refused" / "store").exists()
    refused = lab.run_role("mirror_to_disk", tmp_path / "role-refused", str(manifest))
    assert refused.returncode != 0 and "tag-only reference" in failure_message(refused)

    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tmp_path / "pinned", str(manifest), resolve_tags=True))
    assert rc == 0, answer
    record = answer["images"][0]
    assert record["digest"] == lab.digests["app-oci"] and record["resolved_from_tag"] is True
    inventory = json.loads((tmp_path / "pinned" / "store" / "inventory.json").read_text())
    assert inventory["images"][0]["digest"] == lab.digests["app-oci"] and inventory["images"][0]["resolved_from_tag"]


def test_the_engines_own_failure_reaches_the_role_with_its_message(lab, disk, tmp_path):  # noqa: F811
    """A run the engine refuses (its exit status 1) fails in the role's own task, with the engine's
    message and no secret: the mirror_engine step answers with ``engine_rc``, not ``rc``, which would
    fail the step itself, its answer hidden by no_log."""
    src, manifest = disk
    project = lab.unique("corrupt")
    lab.harbor_project(project)
    blob = sorted((src / "run" / "store" / "blobs" / "sha256").iterdir())[0]
    blob.write_bytes(b"x" * blob.stat().st_size)
    run = lab.run_role("disk_to_mirror", src / "run", manifest, mirror_project=project, mirror_archive_size="0")
    assert run.returncode != 0
    failed = [r for r in run.results if r.get("failed")]
    assert [r["_task"] for r in failed] == ["airgap.dify_platform.mirror : Fail when the run failed"], failed
    assert "do not match their digest (corrupted)" in failure_message(run) and "nothing was pushed" in failure_message(run)
    assert PUSH_SECRET not in json.dumps(run.data)


def test_wrong_harbor_password_fails_before_anything_is_pushed(lab, disk, tmp_path):  # noqa: F811
    src, manifest = disk
    project = lab.unique("wrongpw")
    run = lab.run_role("disk_to_mirror", tmp_path / "bastion", manifest, mirror_project=project,
                       mirror_archive_dir=str(src / "parts"), mirror_harbor_password="Wrong-Password-1")
    assert run.returncode != 0
    message = failure_message(run)
    assert "refused the credentials of user 'admin' (HTTP 401)" in message, message
    assert "Wrong-Password-1" not in json.dumps(run.data)
    assert lab.harbor.project(project) is None
    assert not (tmp_path / "bastion" / "reports").exists(), "nothing recorded"

    # Without Harbor management, a wrong push secret is refused by the preflight login.
    lab.harbor_project(project)
    rc, answer = lab.run_cli(push_params(lab, src / "run", manifest, project, dest_username="robot$nobody",
                                         dest_password=PUSH_SECRET))
    assert rc == 1 and "refused the credentials of robot$nobody" in answer["msg"] and "nothing was pushed" in answer["msg"]
    assert "report" not in answer or answer["report"] is None
    assert lab.harbor.project(project)["repo_count"] == 0


def test_unknown_project_fails_before_anything_is_pushed(lab, disk):  # noqa: F811
    src, manifest = disk
    project = "missing-" + uuid.uuid4().hex[:8]
    offset = lab.backend.log_offset()
    rc, answer = lab.run_cli(push_params(lab, src / "run", manifest, project))
    assert rc == 1
    assert answer["msg"] == ("project %s does not exist on %s (create it first, for example with "
                             "airgap.dify_platform.harbor_project); nothing was pushed" % (project, lab.harbor.host))
    transfers = lab.backend.transfers_since(offset)
    assert transfers["blob_uploads"] == 0 and transfers["manifest_puts"] == 0
    assert not (src / "run" / "reports" / ("disk_to_mirror-%s.json" % lab.harbor.host.replace(":", "_"))).exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs (the test images need about 1.5 MiB, plus the engine's 64 MiB margin)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.skip("cannot mount a small tmpfs to fill (needs root): %s" % proc.stderr.strip())
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_is_refused_up_front_and_reported_clearly_when_it_happens(lab, tiny_disk, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "manifest.yml")
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tiny_disk / "up-front", manifest))
    assert rc == 1
    assert answer["msg"].startswith("not enough space in %s: the copy needs 1.5 MiB" % (tiny_disk / "up-front" / "store"))
    assert answer["msg"].endswith("nothing was copied")
    assert not (tiny_disk / "up-front" / "store" / "inventory.json").exists()

    # Filling up half-way (the space check turned off): the copy stops with a clear error,
    # and the inventory, if it could be written, lists only complete images.
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * (1024 * 1024))
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tiny_disk / "half", manifest, check_space=False,
                                            concurrency=1))
    assert rc == 1
    assert "no space left on the destination disk" in answer["msg"] or "No space left on device" in answer["msg"], answer["msg"]
    inventory_path = tiny_disk / "half" / "store" / "inventory.json"
    if inventory_path.exists():
        inventory = json.loads(inventory_path.read_text())
        statuses = dict((i["name"], i["status"]) for i in answer.get("images", []))
        for image in inventory["images"]:
            assert image["complete"] == (statuses.get(image["name"]) in ("copied", "present"))
