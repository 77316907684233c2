"""Archive parts for transfer media (plugins/module_utils/release/archive.py)."""

import io
import json
import os
import tarfile

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive


def make_store(root, blob_size=300_000):
    store = root / "store"
    (store / "blobs" / "sha256").mkdir(parents=True)
    (store / "refs" / "img").mkdir(parents=True)
    os.symlink("../../blobs", str(store / "refs" / "img" / "blobs"))
    (store / "blobs" / "sha256" / ("a" * 64)).write_bytes(os.urandom(blob_size))
    (store / "blobs" / "sha256" / ("b" * 64)).write_bytes(b"small")
    (store / "inventory.json").write_text(json.dumps({"kind": "x"}))
    (store / "index.json").write_text("{}")
    return store


def test_pack_split_verify_unpack_round_trip(tmp_path):
    store = make_store(tmp_path, blob_size=2_500_000)
    record = archive.pack(str(store), str(tmp_path / "parts"), "m", 1 << 20)
    assert len(record["parts"]) == 3 and record["reused"] is False
    assert all(p["size"] <= 1 << 20 for p in record["parts"])
    assert archive.verify(str(tmp_path / "parts"), "m") == []
    # The inventory comes before the blobs, so it can be read from the first part alone.
    assert json.loads(archive.read_member(str(tmp_path / "parts"), "m", "inventory.json")) == {"kind": "x"}
    out = tmp_path / "out"
    archive.unpack(str(tmp_path / "parts"), "m", str(out))
    for rel in ("blobs/sha256/" + "a" * 64, "blobs/sha256/" + "b" * 64, "inventory.json"):
        assert (out / rel).read_bytes() == (store / rel).read_bytes()
    assert os.readlink(str(out / "refs" / "img" / "blobs")) == "../../blobs"


def test_same_store_same_parts_and_reuse(tmp_path):
    store = make_store(tmp_path)
    first = archive.pack(str(store), str(tmp_path / "p1"), "m", 1 << 20)
    second = archive.pack(str(store), str(tmp_path / "p2"), "m", 1 << 20)
    assert [p["sha256"] for p in first["parts"]] == [p["sha256"] for p in second["parts"]], "deterministic"
    again = archive.pack(str(store), str(tmp_path / "p1"), "m", 1 << 20)
    assert again["reused"] is True
    (store / "inventory.json").write_text(json.dumps({"kind": "y"}))
    assert archive.pack(str(store), str(tmp_path / "p1"), "m", 1 << 20)["reused"] is False


def test_a_corrupted_or_missing_part_is_named_and_nothing_is_extracted(tmp_path):
    store = make_store(tmp_path, blob_size=2_500_000)
    archive.pack(str(store), str(tmp_path / "parts"), "m", 1 << 20)
    part = tmp_path / "parts" / "m.tar.001"
    data = bytearray(part.read_bytes())
    data[1000] ^= 0xFF
    part.write_bytes(bytes(data))
    problems = archive.verify(str(tmp_path / "parts"), "m")
    assert len(problems) == 1 and problems[0].startswith("part m.tar.001 is corrupted")
    with pytest.raises(archive.ArchiveError, match=r"m\.tar\.001 is corrupted"):
        archive.unpack(str(tmp_path / "parts"), "m", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    part.unlink()
    assert archive.verify(str(tmp_path / "parts"), "m") == ["part m.tar.001 is missing"]


def _tar_with(member, data=b"x", linkname=None):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(member)
        if linkname:
            info.type = tarfile.SYMTYPE
            info.linkname = linkname
            tar.addfile(info)
        else:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


@pytest.mark.parametrize("member, linkname, message", [
    ("../escape", None, "unsafe path"),
    ("/etc/passwd", None, "unsafe path"),
    ("refs/x/blobs", "/etc", "pointing outside"),
    ("refs/blobs", "../../..", "pointing outside"),
])
def test_unsafe_members_are_refused(tmp_path, member, linkname, message):
    parts = tmp_path / "parts"
    parts.mkdir()
    data = _tar_with(member, linkname=linkname)
    (parts / "m.tar.000").write_bytes(data)
    import hashlib
    (parts / "m.parts.json").write_text(json.dumps({"kind": archive.PARTS_KIND, "parts": [
        {"name": "m.tar.000", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}]}))
    with pytest.raises(archive.ArchiveError, match=message):
        archive.unpack(str(parts), "m", str(tmp_path / "out"))
    assert not (tmp_path / "etc").exists()


def test_part_size_floor(tmp_path):
    with pytest.raises(archive.ArchiveError, match="at least 1 MiB"):
        archive.pack(str(make_store(tmp_path)), str(tmp_path / "p"), "m", 1000)


def test_unpack_hashes_each_blob_as_it_writes_it(tmp_path):
    """disk_to_mirror does not read the extracted blobs again to hash them (issue 20): unpack lists
    those whose sha256 matched their name while they were written; a blob that does not match (the
    store the archive was made from was damaged) is left out, for verify_store to name."""
    import hashlib

    store = make_store(tmp_path)
    good = os.urandom(1000)
    good_digest = hashlib.sha256(good).hexdigest()
    (store / "blobs" / "sha256" / good_digest).write_bytes(good)
    archive.pack(str(store), str(tmp_path / "parts"), "m", 1 << 20)
    record = archive.unpack(str(tmp_path / "parts"), "m", str(tmp_path / "out"))
    assert record["blobs_checked"] == ["sha256:" + good_digest]  # "a"*64 and "b"*64 are not their content's digest
