"""A blob's sha256 computed once per host (plugins/module_utils/release/verified.py, verify.verify_store).

disk_to_mirror used to hash every blob right after mirror_to_disk had fetched (and crane had
checked) them on the same disk (issue 20). It now hashes only what was not checked on this host,
in the very file it is now; these tests pin down what makes it hash again.
"""

import hashlib
import os
import time

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import verified
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import Progress
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.verify import verify_store

BIG = verified.SMALL + 1


def put(store, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = store / "blobs" / "sha256" / digest[7:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(verified, "host_id", lambda: "host-a")
    root = tmp_path / "store"
    blobs = {}
    for data in (b"config", b"L" * BIG, b"M" * (BIG + 7)):
        blobs[put(root, data)] = len(data)
    return root, {"blobs": blobs}


def hashed(monkeypatch):
    """Record which blobs verify_store hashes."""
    seen = []
    from ansible_collections.airgap.dify_platform.plugins.module_utils.release import verify

    real = verify.sha256_file

    def spy(path):
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(verify, "sha256_file", spy)
    return seen


def check(root, inventory):
    return verify_store(str(root), inventory, "full", Progress(), 2)


def test_blobs_crane_fetched_on_this_host_are_not_hashed_again(store, monkeypatch):
    root, inventory = store
    assert verified.record_fetched(str(root), inventory["blobs"], set(inventory["blobs"])) == 3
    seen = hashed(monkeypatch)
    assert check(root, inventory) == "sha256 of every blob, checked before on this host (unchanged since)"
    assert seen == []


def test_without_a_record_every_blob_is_hashed_then_recorded(store, monkeypatch):
    root, inventory = store
    seen = hashed(monkeypatch)
    assert check(root, inventory) == "sha256 of every blob"
    assert len(seen) == 3
    del seen[:]
    assert check(root, inventory) == "sha256 of every blob, checked before on this host (unchanged since)"
    assert seen == []


def test_a_blob_not_fetched_in_this_run_is_not_recorded_by_mirror_to_disk(store, monkeypatch):
    """A blob already in the store when mirror_to_disk started was not checked by crane (it skips it)."""
    root, inventory = store
    fetched = set(d for d, size in inventory["blobs"].items() if size != BIG)
    assert verified.record_fetched(str(root), inventory["blobs"], fetched) == 2
    seen = hashed(monkeypatch)
    assert check(root, inventory) == "sha256 of every blob (1 now, 2 checked before on this host)"
    assert [("sha256:" + name) for name in seen] == [d for d, size in inventory["blobs"].items() if size == BIG]


def test_a_changed_file_is_hashed_again_and_a_corrupted_one_is_caught(store):
    root, inventory = store
    verified.record_fetched(str(root), inventory["blobs"], set(inventory["blobs"]))
    digest = max(inventory["blobs"], key=inventory["blobs"].get)
    path = root / "blobs" / "sha256" / digest[7:]
    before = path.stat()
    time.sleep(0.05)  # past the file system's timestamp granularity (a clock tick), as any later change is
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01  # same size, other content, and the old times put back
    path.write_bytes(bytes(data))
    os.utime(str(path), ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns  # only the change time tells
    with pytest.raises(MirrorError, match="do not match their digest.*first %s; nothing was pushed" % digest):
        check(root, inventory)


def test_another_hosts_record_is_not_trusted(store, monkeypatch):
    """A store carried across the gap on its own disk keeps its inodes: it is hashed in full there."""
    root, inventory = store
    verified.record_fetched(str(root), inventory["blobs"], set(inventory["blobs"]))
    monkeypatch.setattr(verified, "host_id", lambda: "host-b")
    seen = hashed(monkeypatch)
    assert check(root, inventory) == "sha256 of every blob"
    assert len(seen) == 3


def test_a_small_blob_is_hashed_when_recorded(store):
    """Manifests and configs, which crane writes in place, are hashed by mirror_to_disk itself."""
    root, inventory = store
    small = min(inventory["blobs"], key=inventory["blobs"].get)
    (root / "blobs" / "sha256" / small[7:]).write_bytes(b"CONFIG")  # same size, wrong content
    assert verified.record_fetched(str(root), inventory["blobs"], set(inventory["blobs"])) == 2
    assert small not in verified.load(str(root))
