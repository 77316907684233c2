# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store's blobs whose sha256 is known on this host, and the file each was checked as.

A blob's sha256 is computed once per host (issue 20: disk_to_mirror hashed every blob again
right after mirror_to_disk had fetched and checked them on the same disk):

* by crane, while it streams a blob into the store: go-containerregistry v0.22.1 reads every
  blob through ``verify.ReadCloser`` (``pkg/v1/remote/fetcher.go``), and ``writeLayer``
  (``pkg/v1/layout/write.go``) writes a layer to a temporary file renamed into place only
  after the digest matched. mirror_to_disk records the blobs crane brought in this run;
* by :func:`verify.verify_store`, which records what it hashed.

Each record keeps the identity of the file that was checked: device, inode, size, and its
modification and change times. The change time (ctime) cannot be set back: any write,
``chmod`` or ``touch`` moves it. A blob whose file still has that identity, on the host that
recorded it, is not hashed again; any other one is. The host is its machine id and the id of
its current boot: a store carried to another host (even a container image's copied machine
id) is hashed there in full, so a check after crossing the gap is never skipped, and after a
reboot the store is hashed once more. Nothing here needs clearing by hand: a record that does
not match is simply not used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import atomic_write, blob_path, sha256_file

RECORD = ".verified"  # in the store; never packed into the archive parts (archive._entries)
MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"  # Linux: new at every boot


def _first_line(paths):
    for path in paths:
        try:
            with open(path) as handle:
                value = handle.read().strip()
        except OSError:
            continue
        if value:
            return value
    return ""


def host_id():
    """This host and boot: its machine id and boot id; None without a boot id (nothing is trusted then)."""
    boot = _first_line((BOOT_ID_FILE,))
    if not boot:
        return None
    return "%s/%s" % (_first_line(MACHINE_ID_FILES), boot)


def identity(stat):
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def load(store):
    """``{digest: identity}`` recorded on this host; empty for another host's record, or none."""
    host = host_id()
    try:
        with open(os.path.join(store, RECORD), "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    if not host or not isinstance(data, dict) or data.get("host") != host or not isinstance(data.get("blobs"), dict):
        return {}
    return data["blobs"]


def unchanged(store, record, digest, stat=None):
    """Whether ``digest``'s file is the very file whose sha256 was recorded."""
    recorded = record.get(digest)
    if not recorded:
        return False
    try:
        stat = stat or os.stat(blob_path(store, digest))
    except OSError:
        return False
    return list(recorded) == identity(stat)


def save(store, blobs):
    """Record ``blobs`` (``{digest: identity}``) as checked on this host; nothing without a host id."""
    host = host_id()
    if not host:
        return False
    atomic_write(os.path.join(store, RECORD), json.dumps({"host": host, "blobs": blobs}, sort_keys=True).encode())
    return True


SMALL = 1 << 20  # manifests and configs, which crane writes in place (WriteBlob): hashed here, it costs nothing


def record_fetched(store, blobs, fetched):
    """After mirror_to_disk: record the blobs crane brought into the store in this run.

    ``blobs``: ``{digest: size}`` of the images now complete (the inventory's); ``fetched``: the
    digests that were missing when the copy started, of images whose copy succeeded. Blobs of
    up to :data:`SMALL` bytes are hashed here; a larger one was checked by crane as it streamed
    (see above). What an earlier run recorded stays when its file is unchanged. Returns how
    many blobs were recorded now.
    """
    old = load(store)
    record = {}
    for digest, size in blobs.items():
        try:
            stat = os.stat(blob_path(store, digest))
        except OSError:
            continue
        if list(old.get(digest) or []) == identity(stat):
            record[digest] = old[digest]
        elif digest in fetched and stat.st_size == size and (size > SMALL or sha256_file(blob_path(store, digest)) == digest):
            record[digest] = identity(stat)
    added = len(set(record) - set(old))
    if added or set(old) - set(record):
        save(store, record)
    return added


def record_checked(store, digests):
    """Record ``digests``, whose sha256 was just computed as they were written (archive.unpack)."""
    record = dict(load(store))
    for digest in digests:
        try:
            record[digest] = identity(os.stat(blob_path(store, digest)))
        except OSError:
            continue
    if digests:
        save(store, record)
