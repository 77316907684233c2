# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transfer media: the store as one deterministic tar stream, split into parts of a chosen size.

::

    <archive_dir>/<prefix>.tar.000, .001, ...   the parts, each at most part_size bytes
    <archive_dir>/<prefix>.parts.json           part names, sizes and sha256, and the inventory's sha256

The tar is deterministic (sorted paths, zero times and owners), so the same
store gives the same parts; a rerun whose inventory did not change leaves the
parts alone. :func:`verify` checks every part against the parts file before
anything is extracted and names the part that does not match. :func:`unpack`
reads the parts as one stream and refuses absolute paths, ``..`` and links
that point outside the store.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import hashlib
import io
import json
import os
import posixpath
import re
import tarfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.inventory import INVENTORY, digest_of_file, dumps
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import atomic_write

PARTS_KIND = "airgap.dify_platform/mirror-parts"
CHUNK = 1 << 20
MIN_PART = 1 << 20
BLOB_MEMBER = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")


class ArchiveError(PlatformError):
    """A part is missing or corrupted, or the archive holds something unsafe."""


def parts_file(archive_dir, prefix):
    return os.path.join(archive_dir, "%s.parts.json" % prefix)


class _SplitWriter(io.RawIOBase):
    """A write-only stream that fills ``<base>.000``, ``.001``... of ``part_size`` bytes, hashing each."""

    def __init__(self, base, part_size):
        super(_SplitWriter, self).__init__()
        self.base = base
        self.part_size = part_size
        self.parts = []
        self._handle = None
        self._hash = None
        self._written = 0

    def writable(self):
        return True

    def _open(self):
        name = "%s.%03d" % (self.base, len(self.parts))
        self._handle = open(name + ".partial", "wb")  # noqa: SIM115  # pylint: disable=consider-using-with
        self._hash = hashlib.sha256()
        self._written = 0
        self.parts.append({"name": os.path.basename(name), "size": 0, "sha256": None})

    def _close_part(self):
        if self._handle is None:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        part = self.parts[-1]
        part["size"] = self._written
        part["sha256"] = self._hash.hexdigest()
        path = os.path.join(os.path.dirname(self.base), part["name"])
        os.replace(path + ".partial", path)
        self._handle = None

    def write(self, data):
        view = memoryview(data)
        total = len(view)
        while len(view):
            if self._handle is None:
                self._open()
            room = self.part_size - self._written
            chunk = view[:room]
            self._handle.write(chunk)
            self._hash.update(chunk)
            self._written += len(chunk)
            view = view[len(chunk):]
            if self._written >= self.part_size:
                self._close_part()
        return total

    def close(self):
        if not self.closed:
            self._close_part()
        super(_SplitWriter, self).close()


def _entries(store):
    """Every path of the store, sorted, with the blobs last (so the inventory comes early in the stream)."""
    result = []
    for root, dirs, files in os.walk(store):
        dirs.sort()
        rel_root = os.path.relpath(root, store)
        for name in sorted(dirs + files):
            rel = name if rel_root == "." else posixpath.join(rel_root.replace(os.sep, "/"), name)
            if name.startswith(".") and (name.endswith(".lock") or ".tmp-" in name or name == ".verified"):
                continue
            result.append(rel)
    return sorted(result, key=lambda rel: (rel == "blobs" or rel.startswith("blobs/"), rel))


def pack(store, archive_dir, prefix, part_size, progress=None):
    """Write the store as parts; return the parts record. Reuses existing parts of the same inventory."""
    if part_size < MIN_PART:
        raise ArchiveError("the archive part size must be at least 1 MiB")
    if not os.path.isdir(archive_dir):
        os.makedirs(archive_dir)
    inventory_sha = digest_of_file(os.path.join(store, INVENTORY))
    existing = _read_parts(archive_dir, prefix, required=False)
    if (existing and existing.get("inventory_sha256") == inventory_sha and existing.get("part_size") == part_size
            and not verify(archive_dir, prefix, quick=True)):
        existing["reused"] = True
        return existing
    for name in os.listdir(archive_dir):
        if name.startswith(prefix + ".tar."):
            os.unlink(os.path.join(archive_dir, name))
    writer = _SplitWriter(os.path.join(archive_dir, "%s.tar" % prefix), part_size)
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for rel in _entries(store):
            path = os.path.join(store, rel)
            info = tar.gettarinfo(path, arcname=rel)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isreg():
                info.mode = 0o644
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
                if progress:
                    progress(info.size)
            elif info.isdir():
                info.mode = 0o755
                tar.addfile(info)
            elif info.issym():
                tar.addfile(info)
    writer.close()
    record = {"kind": PARTS_KIND, "schema": 1, "prefix": prefix, "part_size": part_size,
              "inventory_sha256": inventory_sha, "parts": writer.parts,
              "total_size": sum(p["size"] for p in writer.parts)}
    atomic_write(parts_file(archive_dir, prefix), dumps(record))
    record["reused"] = False
    return record


def _read_parts(archive_dir, prefix, required=True):
    path = parts_file(archive_dir, prefix)
    try:
        with open(path, "rb") as handle:
            record = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        if not required:
            return None
        raise ArchiveError("cannot read the parts list %s: %s" % (path, exc)) from exc
    if record.get("kind") != PARTS_KIND or not isinstance(record.get("parts"), list):
        raise ArchiveError("%s is not a mirror parts list" % path)
    return record


def verify(archive_dir, prefix, quick=False):
    """Check every part (size, and sha256 unless ``quick``); return the problems found."""
    record = _read_parts(archive_dir, prefix)
    problems = []
    for part in record["parts"]:
        name = part.get("name", "")
        if "/" in name or name.startswith("."):
            problems.append("unsafe part name %r" % name)
            continue
        path = os.path.join(archive_dir, name)
        try:
            size = os.path.getsize(path)
        except OSError:
            problems.append("part %s is missing" % name)
            continue
        if size != part["size"]:
            problems.append("part %s has %d bytes, expected %d" % (name, size, part["size"]))
            continue
        if quick:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        if digest.hexdigest() != part["sha256"]:
            problems.append("part %s is corrupted: sha256 %s, expected %s" % (name, digest.hexdigest(), part["sha256"]))
    return problems


class _Concat(io.RawIOBase):
    def __init__(self, paths):
        super(_Concat, self).__init__()
        self.paths = list(paths)
        self.handle = None

    def readable(self):
        return True

    def readinto(self, buffer):
        while True:
            if self.handle is None:
                if not self.paths:
                    return 0
                self.handle = open(self.paths.pop(0), "rb")  # noqa: SIM115  # pylint: disable=consider-using-with
            count = self.handle.readinto(buffer)
            if count:
                return count
            self.handle.close()
            self.handle = None

    def close(self):
        if self.handle is not None:
            self.handle.close()
        super(_Concat, self).close()


def _safe(member, dest):
    name = member.name
    if name.startswith("/") or ".." in name.split("/"):
        raise ArchiveError("the archive holds an unsafe path %r" % name)
    if member.issym():
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
        if member.linkname.startswith("/") or target.startswith(".."):
            raise ArchiveError("the archive holds a link %r pointing outside the store" % name)
    elif not (member.isreg() or member.isdir()):
        raise ArchiveError("the archive holds %r, which is neither a file, a directory nor a link" % name)
    return os.path.join(dest, name)


def read_member(archive_dir, prefix, name, limit=64 << 20):
    """The content of one small file of the archive (``inventory.json``), read from the stream's start."""
    record = _read_parts(archive_dir, prefix)
    stream = _Concat(os.path.join(archive_dir, p["name"]) for p in record["parts"])
    with tarfile.open(fileobj=io.BufferedReader(stream, CHUNK), mode="r|") as tar:
        for member in tar:
            if member.name == name and member.isreg() and member.size <= limit:
                return tar.extractfile(member).read()
            if member.name.startswith("blobs/"):
                break
    raise ArchiveError("the archive in %s holds no %s" % (archive_dir, name))


def unpack(archive_dir, prefix, dest, progress=None):
    """Verify every part, then extract them as one stream into ``dest``; return the parts record.

    Each blob's sha256 is computed as it is written: the record's ``blobs_checked`` lists those
    that match their name, so that disk_to_mirror does not read and hash them again (issue 20);
    one that does not is left for its own check to name.
    """
    problems = verify(archive_dir, prefix)
    if problems:
        raise ArchiveError("the transfer archive in %s failed verification, nothing was extracted: %s"
                           % (archive_dir, "; ".join(problems)))
    record = _read_parts(archive_dir, prefix)
    if not os.path.isdir(dest):
        os.makedirs(dest)
    stream = _Concat(os.path.join(archive_dir, p["name"]) for p in record["parts"])
    checked = []
    with tarfile.open(fileobj=io.BufferedReader(stream, CHUNK), mode="r|") as tar:
        for member in tar:
            target = _safe(member, dest)
            if member.isdir():
                if not os.path.isdir(target):
                    os.makedirs(target)
            elif member.issym():
                if os.path.lexists(target):
                    os.unlink(target)
                os.symlink(member.linkname, target)
            else:
                parent = os.path.dirname(target)
                if not os.path.isdir(parent):
                    os.makedirs(parent)
                source = tar.extractfile(member)
                tmp = target + ".tmp-unpack"
                blob = BLOB_MEMBER.match(member.name)
                digest = hashlib.sha256() if blob else None
                with open(tmp, "wb") as out:
                    for chunk in iter(functools.partial(source.read, CHUNK), b""):
                        out.write(chunk)
                        if digest is not None:
                            digest.update(chunk)
                os.replace(tmp, target)
                if blob and digest.hexdigest() == blob.group(1):
                    checked.append("sha256:" + blob.group(1))
                if progress:
                    progress(member.size)
    record["blobs_checked"] = checked
    return record
