# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy into a registry: every image not already there is pushed with skopeo, its
digest checked where it landed, its tag pushed; the run's report is written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import inventory as inv
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.check import preflight
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import parallel
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.presence import Presence
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import mirror_repository
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.report import failure_message, finish, report_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.schedule import Task, run_tasks
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.verify import is_present


def destination_of(item, settings):
    project = item.entry.get("project") or settings.project
    return mirror_repository(item.entry["repository"], settings.registry, project)


def push_tags(skopeo, item, source_ref, settings, stopper):
    tag = item.entry.get("tag")
    if not (tag and settings.push_tags):
        return
    multi = "index-only" if item.closure.children else "all"
    skopeo.copy(source_ref, "docker://%s:%s" % (item.destination, tag), multi_arch=multi,
                src_shared_blob_dir=os.path.join(settings.store, "blobs") if source_ref.startswith("oci:") else None,
                timeout=settings.copy_timeout, on_start=stopper.track)


def copy_to_registry(settings, items, skopeo, progress, stopper, source_of, before_push):
    """Push ``items`` (present ones skipped); ``source_of(item, child_descriptor_or_None)`` gives skopeo's source.

    ``before_push()`` runs once before anything is pushed (the preflight: credentials, projects),
    and only when something is to be pushed, or when asking the destination failed (it then says
    why in its own words): a rerun that finds every image there starts no process (issue 20).
    """
    for item in items:
        item.destination = destination_of(item, settings)
    # Asked from this process, not one skopeo process per image (issue 20); skopeo where it is unsure.
    presence = Presence(settings.registry, settings.dest.credentials.get(settings.registry), settings.dest.ca_path,
                        settings.dest.tls_verify)

    def present(item):
        return item, is_present(skopeo, item, item.destination, presence)

    progress.phase("checking what the destination already holds", images_total=len(items))
    try:
        answers = parallel(present, items, settings.concurrency)
    except CopyError:
        before_push()  # a refused credential, a missing project, TLS: said as the preflight says it
        raise
    for item, there in answers:
        if there:
            item.status = "present"
    todo = [i for i in items if i.status != "present"]
    if todo:
        before_push()
    if settings.check_mode:
        for item in todo:
            item.status = "would_copy"
        return []
    total = {}
    for item in todo:
        total.update(item.closure.all)
    progress.phase("copying", bytes_total=sum(total.values()))
    progress.present(item.name for item in items if item.status == "present")
    landed = set()
    landed_lock = threading.Lock()

    def push(item):
        began = time.time()
        progress.started(item.name)
        # At most what this run has not sent yet: blobs another image brought are mounted or skipped.
        with landed_lock:
            size = sum(v for d, v in item.closure.all.items() if d not in landed)
        blob_dir = os.path.join(settings.store, "blobs") if settings.mode == "disk_to_mirror" else None
        try:
            if getattr(item.closure, "sparse", False):
                for child in item.closure.children:
                    skopeo.copy(source_of(item, child),
                                "docker://%s@%s" % (item.destination, child["digest"]), multi_arch="all",
                                src_shared_blob_dir=blob_dir, timeout=settings.copy_timeout, on_start=stopper.track)
                source = source_of(item, None)
                skopeo.copy(source, "docker://%s@%s" % (item.destination, item.digest), multi_arch="index-only",
                            src_shared_blob_dir=blob_dir, timeout=settings.copy_timeout, on_start=stopper.track)
            else:
                source = source_of(item, None)
                skopeo.copy(source, "docker://%s@%s" % (item.destination, item.digest), multi_arch="all",
                            src_shared_blob_dir=blob_dir, timeout=settings.copy_timeout, on_start=stopper.track)
            if not is_present(skopeo, item, item.destination, presence):
                raise CopyError("digest", "image %s: after the copy, %s@%s does not answer with that digest"
                                % (item.name, item.destination, item.digest))
            push_tags(skopeo, item, source, settings, stopper)
        except Exception as exc:
            progress.finished(item.name, "failed", note=str(exc)[:200])
            raise
        with landed_lock:
            landed.update(item.closure.all)
        progress.finished(item.name, "copied", size)
        return {"bytes": size, "seconds": time.time() - began}

    tasks = [Task(item.name, item.closure.all, (lambda i=item: push(i))) for item in todo]
    run_tasks(tasks, settings.concurrency, stop=stopper.event)
    return tasks


def registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, extra):
    report_path = os.path.join(settings.directory, "reports", "%s-%s.json" % (settings.mode, settings.registry.replace(":", "_")))
    missing_projects = []

    def before_push():
        missing_projects.extend(preflight(skopeo, items, settings, progress))

    tasks = copy_to_registry(settings, items, skopeo, progress, stopper, source_of, before_push)
    failures = finish(settings, items, tasks, stopper)
    extra = dict(extra, report=report_path)
    if missing_projects:
        extra["missing_projects"] = missing_projects
    report = report_of(settings, items, started, release, extra)
    if not settings.check_mode:
        inv.write_report(report_path, report)
    if failures or stopper.event.is_set():
        progress.done("failed")
        raise MirrorError(failure_message(failures, stopper, "%s lists what was pushed; run again to continue" % report_path),
                          report)
    progress.done("%d copied, %d already there" % (report["summary"]["copied"], report["summary"]["present"]))
    return report
