# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy into the store: each image pulled into its own OCI layout over the store's
shared blobs (one per chosen platform of a sparse index), then checked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import (
    REF_ANNOTATION,
    atomic_write,
    blob_path,
    missing_blobs,
    ref_dir,
    sha256_file,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError


def ensure_layout(directory, depth):
    """A per-image layout directory whose ``blobs`` links to the store's shared blobs, ``depth`` levels up."""
    if not os.path.isdir(directory):
        os.makedirs(directory)
    link = os.path.join(directory, "blobs")
    target = os.path.join(*([".."] * depth + ["blobs"]))
    if os.path.islink(link):
        if os.readlink(link) != target:
            os.unlink(link)
    elif os.path.isdir(link):
        shutil.rmtree(link)
    if not os.path.lexists(link):
        os.symlink(target, link)
    return directory


def platform_dir(store, name, descriptor):
    """Where a chosen platform of a sparse index gets its own one-image layout."""
    platform = descriptor.get("platform") or {}
    parts = [platform.get("os", "unknown"), platform.get("architecture", "unknown")]
    if platform.get("variant"):
        parts.append(platform["variant"])
    return os.path.join(ref_dir(store, name), "platforms", "-".join(parts))


def write_layout_index(directory, descriptor, ref_name):
    """One-image index.json: skopeo 1.9 reads a Docker-typed manifest from an OCI layout only when it is alone."""
    desc = dict((k, descriptor[k]) for k in ("mediaType", "digest", "size", "platform") if k in descriptor)
    desc["annotations"] = {REF_ANNOTATION: ref_name}
    atomic_write(os.path.join(directory, "oci-layout"), json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    atomic_write(os.path.join(directory, "index.json"), json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [desc]},
        indent=1, sort_keys=True).encode())


def write_ref_index(store, item):
    """The image's own layout (and, for a sparse index, one per chosen platform)."""
    closure = item.closure
    top = {"mediaType": closure.media_type, "digest": item.digest, "size": os.path.getsize(blob_path(store, item.digest))}
    write_layout_index(ref_dir(store, item.name), top, item.name)
    if getattr(closure, "sparse", False):
        for child in closure.children:
            write_layout_index(ensure_layout(platform_dir(store, item.name, child), 4), child,
                               "%s.%s" % (item.name, os.path.basename(platform_dir(store, item.name, child))))


def pull_image(item, store, crane, fetcher, settings, progress, stopper):
    """Pull ``item`` into its layout in ``store`` with ``crane``, check every blob and the manifest
    digest, and write its index; the task a mirror_to_disk run schedules for each image."""
    began = time.time()
    progress.started(item.name)
    # Blobs another copy brought in meanwhile are not transferred again: count what is missing now.
    size = sum(item.closure.all[d] for d in missing_blobs(store, item.closure))
    try:
        layout = ensure_layout(ref_dir(store, item.name), 2)
        if getattr(item.closure, "sparse", False):
            for child in item.closure.children:
                crane.pull("%s@%s" % (item.entry["repository"], child["digest"]),
                           ensure_layout(platform_dir(store, item.name, child), 4),
                           timeout=settings.copy_timeout, on_start=stopper.track)
            atomic_write(blob_path(store, item.digest), fetcher.cache[item.digest])
        else:
            crane.pull(item.source, layout, timeout=settings.copy_timeout, on_start=stopper.track)
        left = missing_blobs(store, item.closure)
        if left:
            raise CopyError("digest", "image %s: after the copy %d blob(s) are still missing or of the "
                            "wrong size, first %s" % (item.name, len(left), left[0]))
        top = sha256_file(blob_path(store, item.digest))
        if top != item.digest:
            raise CopyError("digest", "image %s: the stored manifest has digest %s, expected %s"
                            % (item.name, top, item.digest))
        write_ref_index(store, item)
    except Exception as exc:
        progress.finished(item.name, "failed", note=str(exc)[:200])
        raise
    progress.finished(item.name, "copied", size)
    return {"bytes": size, "seconds": time.time() - began}
