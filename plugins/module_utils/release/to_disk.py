# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mirror_to_disk: ``crane pull`` each image of the release manifest (the whole index, or only
the chosen platforms) into the store, skipping blobs already there; write the checksummed
inventory; split the store into archive parts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive as archives
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import inventory as inv
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import verified
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.check import check_space, verify_signatures
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import RunLock, Stopper
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.copy_to_disk import pull_image
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.crane import Crane
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError, items_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import clean_temporaries, missing_blobs, write_top_index
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.plan import Fetcher, plan_items, resolve_tags
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import Progress
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.report import failure_message, finish, report_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.schedule import Task, run_tasks
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Skopeo
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.sources import SourceManifests
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.verify import ref_index_ok


def mirror_to_disk(settings):
    """Copy every image of the manifest into the store; write the inventory and the archive parts."""
    started = time.time()
    store = settings.store
    if not settings.check_mode:
        os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
    release = settings.manifest.get("release") if settings.manifest else None
    with RunLock(settings.directory, settings.check_mode), Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        removed = 0 if settings.check_mode else clean_temporaries(store)
        if removed:
            progress.note("removed %d partial blob(s) left by an interrupted run" % removed)
        items = items_of(settings)
        with Crane(settings.src, settings.crane) as crane, \
                Skopeo(src=settings.src, binary=settings.skopeo, policy_path=settings.policy_path,
                       registries_d=settings.registries_d) as skopeo:
            resolve_tags(items, crane.manifest, settings)
            fetcher = Fetcher(SourceManifests(settings.src, crane.manifest), store)
            plan_items(items, fetcher, settings, progress)
            needed = {}
            for item in items:
                item.missing = dict((d, item.closure.all[d]) for d in missing_blobs(store, item.closure))
                needed.update(item.missing)
                if not item.missing and ref_index_ok(store, item):
                    item.status = "present"
            todo = [i for i in items if i.status != "present"]
            if settings.check_mode:
                for item in todo:
                    item.status = "would_copy"
                progress.done("check mode: %d image(s) would be copied" % len(todo))
                return report_of(settings, items, started, release, {"store": store, "bytes_needed": sum(needed.values())})
            if needed and settings.check_space:
                check_space(store, sum(needed.values()), settings.space_margin)
            if settings.policy_path or settings.cosign_key:
                verify_signatures(todo, settings, progress, stopper, crane=crane, skopeo=skopeo, store=store)
                for item in todo:
                    item.missing = dict((d, item.closure.all[d]) for d in missing_blobs(store, item.closure))
            needed = {}
            for item in todo:
                needed.update(item.missing)
            progress.phase("copying", images_total=len(items), bytes_total=sum(needed.values()))
            progress.present(item.name for item in items if item.status == "present")

            tasks = [Task(item.name, item.missing, (lambda i=item: pull_image(i, store, crane, fetcher, settings, progress, stopper))) for item in todo]
            run_tasks(tasks, settings.concurrency, stop=stopper.event)
            failures = finish(settings, items, tasks, stopper)
        complete = [i for i in items if i.status in ("present", "copied")]
        blobs = {}
        for item in complete:
            blobs.update(item.closure.all)
        # What crane checked as it fetched is not hashed again by disk_to_mirror on this host.
        fetched = set()
        for item in todo:
            if item.status == "copied":
                fetched.update(item.missing)
        with contextlib.suppress(OSError):
            verified.record_fetched(store, blobs, fetched)
        inventory = {
            "kind": inv.KIND, "schema": inv.SCHEMA, "release": release, "created": inv.now(),
            "platforms": sorted(settings.platforms) if settings.platforms else "all",
            "signature_check": "cosign" if settings.cosign_key else ("policy" if settings.policy_path else None),
            "images": [i.inventory_record(i.status in ("present", "copied")) for i in items],
            "blobs": blobs,
            "size": sum(blobs.values()),
        }
        extra = {"store": store, "inventory": os.path.join(store, inv.INVENTORY)}
        try:
            write_top_index(store, dict((i.name, (i.digest, i.closure.media_type, i.closure.manifests[i.digest]))
                                        for i in complete))
            extra["wrote"] = inv.write_if_changed(store, inventory)
        except OSError as exc:
            # Written through temporary files and renames: the previous inventory (if any) is intact.
            report = report_of(settings, items, started, release, extra)
            raise MirrorError("%s; the inventory could not be written (%s), the previous one, if any, is unchanged"
                              % (failure_message(failures, stopper, "") if failures or stopper.signal else "the copy ended",
                                 exc), report) from exc
        if failures or stopper.event.is_set():
            report = report_of(settings, items, started, release, extra)
            with contextlib.suppress(IOError, OSError):
                inv.write_report(os.path.join(settings.directory, "reports", "mirror_to_disk.json"), report)
            progress.done("failed")
            raise MirrorError(failure_message(failures, stopper, "the inventory lists what is complete; run again "
                                              "to continue where it stopped"), report)
        if settings.archive_dir and settings.archive_size:
            progress.phase("writing archive parts")
            prefix = settings.archive_prefix or ("mirror-%s" % release)
            record = archives.pack(store, settings.archive_dir, prefix, settings.archive_size)
            extra["archives"] = {"directory": settings.archive_dir, "prefix": prefix, "reused": record["reused"],
                                 "parts": [p["name"] for p in record["parts"]], "total_size": record["total_size"]}
            extra["wrote"] = extra["wrote"] or not record["reused"]
        report = report_of(settings, items, started, release, extra)
        inv.write_report(os.path.join(settings.directory, "reports", "mirror_to_disk.json"), report)
        progress.done("%d copied, %d already there" % (report["summary"]["copied"], report["summary"]["present"]))
        return report
