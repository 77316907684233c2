# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checksummed inventory of a mirror store, and the reports of what was pushed.

``<store>/inventory.json`` lists every image (name, source repository, digest,
media type, platforms, size, whether it is complete) and every blob with its
size. ``<store>/SHA256SUMS`` holds the sha256 of every file that is not a blob
(blobs are named by their own sha256): the inventory, the top index, the
per-image indexes. Both are written through a temporary file and a rename, so
a crash or a full disk leaves the previous version, never half a file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import atomic_write, sha256_file

KIND = "airgap.dify_platform/mirror-inventory"
REPORT_KIND = "airgap.dify_platform/mirror-report"
SCHEMA = 1
INVENTORY = "inventory.json"
SUMS = "SHA256SUMS"


class InventoryError(PlatformError):
    """The inventory is missing, does not match its checksum, or does not match the store."""


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(data):
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")


def checksummed_files(store):
    """The store's files that are not blobs, relative paths, sorted."""
    result = []
    for top in ("oci-layout", "index.json", INVENTORY):
        if os.path.isfile(os.path.join(store, top)):
            result.append(top)
    refs = os.path.join(store, "refs")
    for root, dirs, files in os.walk(refs):
        dirs[:] = sorted(d for d in dirs if d != "blobs")
        rel = os.path.relpath(root, store).replace(os.sep, "/")
        for leaf in ("index.json", "oci-layout"):
            if leaf in files:
                result.append("%s/%s" % (rel, leaf))
    return sorted(result)


def write(store, inventory):
    """Write inventory.json, then SHA256SUMS over every non-blob file."""
    atomic_write(os.path.join(store, INVENTORY), dumps(inventory))
    lines = ["%s  %s" % (sha256_file(os.path.join(store, rel))[len("sha256:"):], rel) for rel in checksummed_files(store)]
    atomic_write(os.path.join(store, SUMS), ("\n".join(lines) + "\n").encode("utf-8"))


def write_if_changed(store, inventory):
    """Write the inventory unless the store already holds the same one (its creation time aside).

    A rerun that copied nothing keeps the same inventory bytes, so the archive
    parts made from it are kept too. Returns whether it wrote.
    """
    try:
        with open(os.path.join(store, INVENTORY), "rb") as handle:
            old = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        old = None
    if old is not None and dict(old, created=None) == dict(inventory, created=None) and not verify_sums(store):
        return False
    write(store, inventory)
    return True


def read_sums(store):
    path = os.path.join(store, SUMS)
    sums = {}
    try:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                line = line.rstrip("\n")
                if not line:
                    continue
                hexdigest, sep, rel = line.partition("  ")
                if not sep or len(hexdigest) != 64:
                    raise InventoryError("%s line %d is not '<sha256>  <path>'" % (path, number))
                sums[rel] = hexdigest
    except OSError as exc:
        raise InventoryError("cannot read %s: %s; is this a mirror store made by mirror_to_disk?" % (path, exc)) from exc
    return sums


def verify_sums(store):
    """Check every file listed in SHA256SUMS; return the list of problems (empty when all is well)."""
    problems = []
    sums = read_sums(store)
    if INVENTORY not in sums:
        problems.append("%s does not list %s" % (SUMS, INVENTORY))
    for rel, expected in sorted(sums.items()):
        path = os.path.join(store, rel)
        if os.path.isabs(rel) or ".." in rel.split("/"):
            problems.append("%s lists an unsafe path %r" % (SUMS, rel))
            continue
        try:
            actual = sha256_file(path)[len("sha256:"):]
        except OSError:
            problems.append("%s is missing" % rel)
            continue
        if actual != expected:
            problems.append("%s has sha256 %s, %s says %s" % (rel, actual, SUMS, expected))
    return problems


def load(store, verify=True):
    """Read the inventory; with ``verify``, refuse it unless SHA256SUMS matches."""
    if verify:
        problems = verify_sums(store)
        if problems:
            raise InventoryError("the mirror store %s failed its checksums: %s" % (store, "; ".join(problems[:10])))
    path = os.path.join(store, INVENTORY)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise InventoryError("cannot read the inventory %s: %s" % (path, exc)) from exc
    if data.get("kind") != KIND or data.get("schema") != SCHEMA:
        raise InventoryError("%s is not a mirror inventory of schema %d" % (path, SCHEMA))
    return data


def digest_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()


def write_report(path, report):
    """Write a report of what was (not) copied, atomically."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    atomic_write(path, dumps(report))
