# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""disk_to_mirror: verify the transfer (the archive parts, extracted unless the store already
holds them; the inventory; every blob), then ``skopeo copy`` each complete image from the
store to the registry, preserving digests; images already there are skipped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive as archives
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import inventory as inv
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import verified
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import RunLock, Stopper
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.copy_to_disk import platform_dir
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.copy_to_registry import registry_run
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import ref_dir
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.plan import closure_from_record, items_from_inventory
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import Progress
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Skopeo
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.verify import check_store_images, verify_store


def disk_to_mirror(settings):
    """Verify the transfer (parts, inventory, blobs), then push every complete image to the registry."""
    if not settings.registry or not settings.project:
        raise ValidationError("disk_to_mirror needs the mirror registry and project")
    started = time.time()
    with RunLock(settings.directory, settings.check_mode), Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        extra = {"store": settings.store}
        inventory = None
        if settings.archive_dir:
            inventory = take_archives(settings, progress, extra)
        if inventory is None:
            try:
                inventory = inv.load(settings.store)
            except inv.InventoryError as exc:
                raise MirrorError(str(exc)) from exc
            extra["verified"] = verify_store(settings.store, inventory, settings.verify, progress,
                                             settings.concurrency, settings.check_mode)
        release = inventory.get("release")
        if settings.manifest and settings.manifest.get("release") != release:
            raise MirrorError("the disk holds release %s, the release manifest is %s" % (release, settings.manifest.get("release")))
        items = items_from_inventory(inventory, settings)
        if extra.get("extracted") is None and settings.check_mode and settings.archive_dir:
            for item in items:  # the store is not extracted in check mode: plan from the inventory alone
                item.closure = closure_from_record(item)
        else:
            check_store_images(settings.store, items, settings)

        def source_of(item, child):
            # No ":reference": skopeo 1.9 skips Docker-typed descriptors when it looks one up by name.
            if child is None:
                return "oci:%s" % ref_dir(settings.store, item.name)
            return "oci:%s" % platform_dir(settings.store, item.name, child)

        with Skopeo(dest=settings.dest, binary=settings.skopeo) as skopeo:
            return registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, extra)


def take_archives(settings, progress, extra):
    """Verify the parts and extract them into the store unless it already holds them.

    Returns the inventory read from the parts in check mode (nothing is extracted then), else None.
    """
    prefix = settings.archive_prefix or find_prefix(settings.archive_dir)
    progress.phase("verifying the archive parts")
    try:
        parts = archives._read_parts(settings.archive_dir, prefix)  # pylint: disable=protected-access
        current = None
        with contextlib.suppress(OSError):
            current = inv.digest_of_file(os.path.join(settings.store, inv.INVENTORY))
        if current and current == parts.get("inventory_sha256"):
            problems = archives.verify(settings.archive_dir, prefix, quick=True)
            if problems:
                raise MirrorError("the transfer archive failed verification: %s; nothing was pushed" % "; ".join(problems))
            extra["extracted"] = False
            return None
        if settings.check_mode:
            problems = archives.verify(settings.archive_dir, prefix)
            if problems:
                raise MirrorError("the transfer archive failed verification: %s; nothing was pushed" % "; ".join(problems))
            data = json.loads(archives.read_member(settings.archive_dir, prefix, inv.INVENTORY).decode("utf-8"))
            if data.get("kind") != inv.KIND:
                raise MirrorError("the archive's inventory is not a mirror inventory")
            return data
        progress.phase("verifying and extracting the archive parts")
        record = archives.unpack(settings.archive_dir, prefix, settings.store)
        # Hashed as they were written: verify_store does not read them again.
        verified.record_checked(settings.store, record.get("blobs_checked") or [])
        extra["extracted"] = True
        return None
    except archives.ArchiveError as exc:
        raise MirrorError(str(exc)) from exc


def find_prefix(archive_dir):
    if not os.path.isdir(archive_dir):
        raise MirrorError("the archive directory %s does not exist (mount the transfer media there, or set the "
                          "archive size to 0 to push the store as it is)" % archive_dir)
    found = sorted(n[: -len(".parts.json")] for n in os.listdir(archive_dir) if n.endswith(".parts.json"))
    if len(found) != 1:
        raise MirrorError("%s holds %s parts lists; set the archive prefix" % (archive_dir, len(found) or "no"))
    return found[0]
