# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify: that what a run reads or wrote is what its digests say, in the store (each
blob, each image's layout) and at the destination registry."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import verified
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import parallel
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import (
    REF_ANNOTATION,
    LayoutError,
    blob_path,
    local_fetch,
    ref_dir,
    sha256_file,
    walk,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.presence import Unsure
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError, digest_of


def ref_index_ok(store, item):
    try:
        with open(os.path.join(ref_dir(store, item.name), "index.json"), "rb") as handle:
            index = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    names = dict(((m.get("annotations") or {}).get(REF_ANNOTATION), m.get("digest")) for m in index.get("manifests") or [])
    return names.get(item.name) == item.digest


def verify_store(store, inventory, mode, progress, concurrency, check_mode=False):
    """Every blob of the inventory is there with the right size, and (full) the right sha256.

    A blob whose sha256 was checked on this host, in the very file it is now (``verified.py``:
    crane checked it while mirror_to_disk fetched it, or an earlier run hashed it), is not
    hashed again; every other one is, and is recorded.
    """
    blobs = inventory.get("blobs") or {}
    progress.phase("verifying %d blobs (%s)" % (len(blobs), mode))
    problems = []
    stats = {}
    for digest in sorted(blobs):
        try:
            stats[digest] = stat = os.stat(blob_path(store, digest))
        except OSError:
            problems.append("blob %s is missing" % digest)
            continue
        if stat.st_size != blobs[digest]:
            problems.append("blob %s has %d bytes, the inventory says %d" % (digest, stat.st_size, blobs[digest]))
    if problems:
        raise MirrorError("the mirror store %s does not match its inventory: %s" % (store, "; ".join(problems[:10])))
    if mode == "quick":
        return "sizes"
    record = verified.load(store)
    todo = [d for d in sorted(blobs) if not verified.unchanged(store, record, d, stats[d])]

    def check(digest):
        return None if sha256_file(blob_path(store, digest)) == digest else digest

    bad = [d for d in parallel(check, todo, max(2, concurrency)) if d]
    if bad:
        raise MirrorError("%d blob(s) in %s do not match their digest (corrupted), first %s; nothing was pushed"
                          % (len(bad), store, bad[0]))
    if todo and not check_mode:
        verified.save(store, dict((d, verified.identity(stats[d])) for d in blobs))
    if not todo:
        return "sha256 of every blob, checked before on this host (unchanged since)"
    if len(todo) < len(blobs):
        return "sha256 of every blob (%d now, %d checked before on this host)" % (len(todo), len(blobs) - len(todo))
    return "sha256 of every blob"


def check_store_images(store, items, settings):
    for item in items:
        sparse = bool(item.entry.get("_sparse"))
        try:
            closure = walk(item.digest, local_fetch(store), set(item.entry.get("_platforms") or []) if sparse else None)
        except LayoutError as exc:
            raise MirrorError("image %s in the store: %s" % (item.name, exc)) from exc
        closure.sparse = sparse
        item.closure = closure


def is_present(skopeo, item, dest_ref_base, presence=None):
    """Whether the destination already holds the image (and, when sparse, each chosen platform).

    ``presence`` (a :class:`presence.Presence` for the destination's host) asks the registry
    from this process; where it gives no final answer, skopeo is asked.
    """
    digests = [item.digest] + ([c["digest"] for c in item.closure.children] if getattr(item.closure, "sparse", False) else [])
    host, _sep, repository = dest_ref_base.partition("/")
    for digest in digests:
        if presence is not None and host == presence.host:
            try:
                if presence.holds(repository, digest):
                    continue
                return False
            except Unsure:
                pass
        try:
            data = skopeo.inspect_raw("docker://%s@%s" % (dest_ref_base, digest), side="dest")
        except CopyError as exc:
            if exc.kind in ("not_found", "project"):
                return False
            raise
        if digest_of(data) != digest:
            return False
    return True
