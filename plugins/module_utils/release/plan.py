# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan: what each image of a run is made of (its manifests, blobs and platforms), read
from the source, the store or the inventory, before anything is checked or copied."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import parallel
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import pinned
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import Item, MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import Closure, LayoutError, blob_path, walk
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError, digest_of


class Fetcher:
    """Raw manifests by digest, from the store when there, else from the source; cached."""

    def __init__(self, remote, store=None):
        self.remote = remote
        self.store = store
        self.cache = {}
        self.lock = threading.Lock()

    def for_repository(self, repository):
        def fetch(digest):
            with self.lock:
                if digest in self.cache:
                    return self.cache[digest]
            data = None
            if self.store:
                path = blob_path(self.store, digest)
                if os.path.isfile(path):
                    with open(path, "rb") as handle:
                        data = handle.read()
                    if digest_of(data) != digest:
                        data = None
            if data is None:
                data = self.remote("%s@%s" % (repository, digest))
            with self.lock:
                self.cache[digest] = data
            return data
        return fetch


def resolve_tags(items, remote, settings):
    for item in items:
        if item.digest:
            continue
        if not settings.resolve_tags:  # load_manifest already refuses these; kept for direct callers
            raise ValidationError("image %s is a tag-only reference; set resolve_tags to pin it" % item.name)
        ref = "%s:%s" % (item.entry["repository"], item.entry["tag"])
        data = remote(ref)
        item.entry = pinned(item.entry, digest_of(data))
        item.digest = item.entry["digest"]
        item.resolved_from_tag = True


def plan_items(items, fetcher, settings, progress):
    progress.phase("planning", images_total=len(items))

    def plan(item):
        try:
            closure = walk(item.digest, fetcher.for_repository(item.entry["repository"]), settings.platforms)
        except LayoutError as exc:
            raise MirrorError("image %s: %s" % (item.name, exc)) from exc
        closure.sparse = bool(settings.platforms and closure.children)
        item.closure = closure
        return item

    try:
        parallel(plan, items, settings.concurrency)
    except CopyError as exc:
        raise MirrorError("cannot read the manifests of the source images: %s" % exc) from exc


def items_from_inventory(inventory, settings):
    items = []
    for record in inventory.get("images") or []:
        if not record.get("complete"):
            continue
        entry = {"name": record["name"], "repository": record["repository"], "digest": record["digest"],
                 "tag": record.get("tag"), "version": record.get("version"), "project": record.get("project"),
                 "reference": "%s@%s" % (record["repository"], record["digest"]),
                 "_sparse": record.get("sparse"), "_platforms": record.get("platforms"), "_size": record.get("size")}
        item = Item(entry)
        item.resolved_from_tag = record.get("resolved_from_tag", False)
        items.append(item)
    if not items:
        raise MirrorError("the inventory lists no complete image; run mirror_to_disk first")
    if settings.manifest:
        by_name = dict((i.name, i) for i in items)
        problems = []
        for name, entry in sorted(settings.manifest["images"].items()):
            item = by_name.get(name)
            if item is None:
                problems.append("%s is in the release manifest but not on the disk" % name)
            elif entry.get("digest") and entry["digest"] != item.digest:
                problems.append("%s is %s in the release manifest but %s on the disk" % (name, entry["digest"], item.digest))
        if problems:
            raise MirrorError("the disk does not hold the release manifest's images: %s" % "; ".join(problems))
    return items


def closure_from_record(item):
    closure = Closure(item.digest)
    closure.manifests[item.digest] = item.entry.get("_size") or 0  # the image's whole size, for the report
    closure.sparse = False
    return closure
