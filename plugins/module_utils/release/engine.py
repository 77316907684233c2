# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror: release manifest -> disk -> registry, or registry -> registry.

Three runs share one shape: plan (what each image needs, from its manifests),
check (space, credentials, projects, signatures) before anything is written,
copy in parallel (``schedule``), verify every image's digest where it landed,
and record exactly what was and was not copied.

* :func:`mirror_to_disk`: ``crane pull`` each image (the whole index, or only
  the chosen platforms) into the store (``ocilayout``), skipping blobs already
  there; write the checksummed inventory; split the store into archive parts.
* :func:`disk_to_mirror`: verify the parts and extract them, verify the
  inventory and every blob; ``skopeo copy`` each image from the store to the
  registry, preserving digests; images already there are skipped.
* :func:`mirror_to_mirror`: ``skopeo copy`` from the source registries to the
  mirror registry directly.

Resuming is the same as running again: blobs are content-addressed, complete
ones are never fetched twice, and an image counts as done only after its digest
was checked at the destination.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive as archives
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import inventory as inv
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.crane import Crane
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import pinned
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import (
    REF_ANNOTATION,
    LayoutError,
    atomic_write,
    blob_path,
    clean_temporaries,
    local_fetch,
    missing_blobs,
    ref_dir,
    sha256_file,
    walk,
    write_top_index,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import Progress, human
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import mirror_repository
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.schedule import Task, run_tasks
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import (
    CopyError,
    Endpoint,
    Skopeo,
    classify,
    digest_of,
    last_lines,
)
import contextlib

MODES = ("mirror_to_disk", "disk_to_mirror", "mirror_to_mirror")
ZERO_DIGEST = "sha256:" + "0" * 64
PROBE_REPOSITORY = "airgap-mirror-probe"


class MirrorError(PlatformError):
    """A run did not complete; ``report`` says what was and was not copied (None when nothing started)."""

    def __init__(self, message, report=None):
        super(MirrorError, self).__init__(message)
        self.report = report


class Settings:
    """Everything a run needs. ``manifest`` is ``manifest.load_manifest()``'s result."""

    def __init__(self, mode, directory, manifest=None, registry=None, project=None, platforms=None, concurrency=4,
                 resolve_tags=False, src=None, dest=None, crane="crane", skopeo="skopeo", policy_path=None,
                 registries_d=None, archive_dir=None, archive_size=0, archive_prefix=None, verify="full",
                 check_mode=False, copy_timeout=None, push_tags=True, sink=None, space_margin=64 << 20,
                 progress_token=None, check_space=True, cosign_key=None, cosign="cosign", cosign_ignore_tlog=True):
        if mode not in MODES:
            raise ValidationError("mode must be one of %s" % ", ".join(MODES))
        if concurrency < 1:
            raise ValidationError("concurrency must be at least 1")
        if verify not in ("full", "quick"):
            raise ValidationError("verify must be full or quick")
        self.mode = mode
        self.directory = os.path.abspath(directory)
        self.store = os.path.join(self.directory, "store")
        self.manifest = manifest
        self.registry = registry
        self.project = project
        self.platforms = set(platforms) if platforms else None
        self.concurrency = concurrency
        self.resolve_tags = resolve_tags
        self.src = src or Endpoint()
        self.dest = dest or Endpoint()
        self.crane = crane
        self.skopeo = skopeo
        self.policy_path = policy_path
        self.registries_d = registries_d
        self.archive_dir = archive_dir
        self.archive_size = archive_size
        self.archive_prefix = archive_prefix
        self.verify = verify
        self.check_mode = check_mode
        self.copy_timeout = copy_timeout
        self.push_tags = push_tags
        self.sink = sink
        self.space_margin = space_margin
        self.progress_token = progress_token
        self.check_space = check_space
        self.cosign_key = cosign_key
        self.cosign = cosign
        self.cosign_ignore_tlog = cosign_ignore_tlog


class Item:
    """One image of the run."""

    def __init__(self, entry):
        self.entry = entry
        self.name = entry["name"]
        self.digest = entry.get("digest")
        self.resolved_from_tag = False
        self.destination = None
        self.closure = None
        self.missing = {}
        self.status = "pending"
        self.error = None
        self.bytes = 0
        self.seconds = 0.0
        self.verified_signature = None

    @property
    def source(self):
        return "%s@%s" % (self.entry["repository"], self.digest)

    def inventory_record(self, complete):
        """What the inventory keeps: the content, not how this run went (so a rerun leaves it unchanged)."""
        record = self.record()
        for key in ("status", "bytes", "seconds", "destination"):
            record.pop(key)
        record["complete"] = complete
        if complete:
            record["error"] = None
        return record

    def record(self):
        closure = self.closure
        return {
            "name": self.name,
            "repository": self.entry["repository"],
            "source": self.source if self.digest else self.entry.get("reference"),
            "destination": ("%s@%s" % (self.destination, self.digest)) if self.destination and self.digest else None,
            "digest": self.digest,
            "tag": self.entry.get("tag"),
            "version": self.entry.get("version"),
            "project": self.entry.get("project"),
            "resolved_from_tag": self.resolved_from_tag,
            "media_type": closure.media_type if closure else None,
            "platforms": closure.platforms if closure else [],
            "sparse": bool(closure and closure.children and getattr(closure, "sparse", False)),
            "size": closure.size if closure else None,
            "blobs": len(closure.all) if closure else None,
            "status": self.status,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 2),
            "error": self.error,
            "signature_verified": self.verified_signature,
        }


# -- shared helpers ------------------------------------------------------------------------------

class _Lock:
    """An exclusive lock on the run's directory: two runs never write the same store."""

    def __init__(self, directory, check_mode=False):
        self.path = os.path.join(directory, ".mirror.lock")
        self.handle = None
        self.check_mode = check_mode

    def __enter__(self):
        if self.check_mode:
            return self
        if not os.path.isdir(os.path.dirname(self.path)):
            os.makedirs(os.path.dirname(self.path))
        self.handle = open(self.path, "a+")  # pylint: disable=consider-using-with
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "unknown"
            self.handle.close()
            raise MirrorError("another mirror run (pid %s) is using %s; wait for it or stop it first"
                              % (holder, os.path.dirname(self.path))) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()


class _Stopper:
    """Turns SIGTERM/SIGINT into a stop: no new copies, running copies are terminated."""

    def __init__(self):
        self.event = threading.Event()
        self.processes = set()
        self.lock = threading.Lock()
        self.previous = {}
        self.signal = None

    def track(self, process):
        with self.lock:
            self.processes.add(process)
            if self.event.is_set():
                self._kill(process)

    def untrack(self, process):
        with self.lock:
            self.processes.discard(process)

    @staticmethod
    def _kill(process):
        if process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()

    def _handle(self, signum, frame):  # pylint: disable=unused-argument
        self.signal = signum
        self.event.set()
        with self.lock:
            for process in list(self.processes):
                self._kill(process)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def _items(settings):
    manifest = settings.manifest
    if not manifest or not manifest.get("images"):
        raise ValidationError("the release manifest lists no images")
    return [Item(manifest["images"][name]) for name in sorted(manifest["images"])]


def _parallel(function, items, concurrency):
    """Run ``function(item)`` for every item with a bounded pool; re-raise the first error."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(function, items))


class _Fetcher:
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


def _resolve_tags(items, remote, settings):
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


def _plan(items, fetcher, settings, progress):
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
        _parallel(plan, items, settings.concurrency)
    except CopyError as exc:
        raise MirrorError("cannot read the manifests of the source images: %s" % exc) from exc


def _summary(items, started):
    counts = {"copied": 0, "present": 0, "failed": 0, "not_attempted": 0, "would_copy": 0}
    for item in items:
        counts[item.status if item.status in counts else "not_attempted"] += 1
    return {
        "images": len(items),
        "copied": counts["copied"],
        "present": counts["present"],
        "failed": counts["failed"],
        "not_attempted": counts["not_attempted"],
        "would_copy": counts["would_copy"],
        "bytes_transferred": sum(i.bytes for i in items),
        "bytes_total": sum((i.closure.size if i.closure else 0) for i in items),
        "seconds": round(time.time() - started, 2),
    }


def _report(settings, items, started, release, extra=None):
    report = {
        "kind": inv.REPORT_KIND,
        "mode": settings.mode,
        "release": release,
        "finished": inv.now(),
        "registry": settings.registry,
        "check_mode": settings.check_mode,
        "images": [item.record() for item in items],
        "summary": _summary(items, started),
    }
    report.update(extra or {})
    report["changed"] = bool(report["summary"]["copied"] or report["summary"]["would_copy"] or report.get("wrote"))
    return report


def _finish(settings, items, tasks, stopper):
    """Set statuses from finished tasks; return the failures."""
    by_name = dict((t.name, t) for t in tasks)
    failures = []
    for item in items:
        task = by_name.get(item.name)
        if task is None:
            continue
        if task.state == "done":
            item.status, item.bytes, item.seconds = "copied", task.result["bytes"], task.result["seconds"]
        elif task.state == "failed":
            item.status = "failed"
            item.error = str(task.error)
            failures.append(item)
        else:
            item.status = "not_attempted"
            item.error = "interrupted" if stopper.event.is_set() else "not attempted after an earlier fatal error"
    return failures


def _failure_message(failures, stopper, what):
    if stopper.signal:
        return "interrupted by signal %d; %s" % (stopper.signal, what)
    first = failures[0]
    return "%d image(s) failed, first %s: %s; %s" % (len(failures), first.name, first.error, what)


def _check_space(path, needed, margin):
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize
    if needed + margin > free:
        raise MirrorError("not enough space in %s: the copy needs %s (plus a %s margin) and only %s is free; "
                          "nothing was copied" % (path, human(needed), human(margin), human(free)))
    return free


# -- mirror_to_disk ------------------------------------------------------------------------------

def _ensure_layout(directory, depth):
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


def _write_layout_index(directory, descriptor, ref_name):
    """One-image index.json: skopeo 1.9 reads a Docker-typed manifest from an OCI layout only when it is alone."""
    desc = dict((k, descriptor[k]) for k in ("mediaType", "digest", "size", "platform") if k in descriptor)
    desc["annotations"] = {REF_ANNOTATION: ref_name}
    atomic_write(os.path.join(directory, "oci-layout"), json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    atomic_write(os.path.join(directory, "index.json"), json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [desc]},
        indent=1, sort_keys=True).encode())


def _write_ref_index(store, item):
    """The image's own layout (and, for a sparse index, one per chosen platform)."""
    closure = item.closure
    top = {"mediaType": closure.media_type, "digest": item.digest, "size": os.path.getsize(blob_path(store, item.digest))}
    _write_layout_index(ref_dir(store, item.name), top, item.name)
    if getattr(closure, "sparse", False):
        for child in closure.children:
            _write_layout_index(_ensure_layout(platform_dir(store, item.name, child), 4), child,
                                "%s.%s" % (item.name, os.path.basename(platform_dir(store, item.name, child))))


def _ref_index_ok(store, item):
    try:
        with open(os.path.join(ref_dir(store, item.name), "index.json"), "rb") as handle:
            index = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return False
    names = dict(((m.get("annotations") or {}).get(REF_ANNOTATION), m.get("digest")) for m in index.get("manifests") or [])
    return names.get(item.name) == item.digest


def _verify_signatures(items, settings, progress, stopper, crane=None, skopeo=None, store=None):
    """Check every image's signature before anything is copied; any refusal stops the run.

    With a cosign public key, ``cosign verify --key`` checks the image's sigstore
    signature (the ``sha256-<digest>.sig`` attachment). With a containers
    signature policy, skopeo's policy engine checks it: an index by copying the
    index document alone, a single image by copying it into a scratch directory
    whose blobs are then moved into the store, so nothing is downloaded twice.
    """
    progress.phase("verifying signatures")
    scratch_root = tempfile.mkdtemp(prefix=".signature-check-", dir=store) if store else tempfile.mkdtemp()

    def with_cosign(item):
        crane.verify_signature(item.source, settings.cosign_key, settings.cosign, settings.cosign_ignore_tlog,
                               timeout=settings.copy_timeout)

    def with_policy(item):
        scratch = os.path.join(scratch_root, item.name)
        multi = "index-only" if item.closure.children else "all"
        rc, out, err = skopeo.run(skopeo.copy_command("docker://" + item.source, "dir:" + scratch, multi_arch=multi),
                                  timeout=settings.copy_timeout, on_start=stopper.track)
        if rc != 0:
            kind, why = classify(err or out)
            if kind in ("signature", "other"):
                raise CopyError("signature_policy", "the signature policy refused it: %s" % last_lines(err or out, 3), err)
            raise CopyError(kind, "%s (%s)" % (why, last_lines(err or out, 3)), err)
        if store:
            for leaf in os.listdir(scratch):
                if len(leaf) == 64 and all(c in "0123456789abcdef" for c in leaf):
                    target = blob_path(store, "sha256:" + leaf)
                    if not os.path.exists(target) and sha256_file(os.path.join(scratch, leaf)) == "sha256:" + leaf:
                        os.replace(os.path.join(scratch, leaf), target)

    def check(item):
        try:
            (with_cosign if settings.cosign_key else with_policy)(item)
        except CopyError as exc:
            raise MirrorError("image %s (%s): the signature check failed: %s; nothing was copied"
                              % (item.name, item.source, exc)) from exc
        item.verified_signature = True
        return item

    try:
        if store:
            os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
        _parallel(check, items, settings.concurrency)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)


def mirror_to_disk(settings):
    """Copy every image of the manifest into the store; write the inventory and the archive parts."""
    started = time.time()
    store = settings.store
    if not settings.check_mode:
        os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
    release = settings.manifest.get("release") if settings.manifest else None
    with _Lock(settings.directory, settings.check_mode), _Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        removed = 0 if settings.check_mode else clean_temporaries(store)
        if removed:
            progress.note("removed %d partial blob(s) left by an interrupted run" % removed)
        items = _items(settings)
        with Crane(settings.src, settings.crane) as crane, \
                Skopeo(src=settings.src, binary=settings.skopeo, policy_path=settings.policy_path,
                       registries_d=settings.registries_d) as skopeo:
            _resolve_tags(items, crane.manifest, settings)
            fetcher = _Fetcher(crane.manifest, store)
            _plan(items, fetcher, settings, progress)
            needed = {}
            for item in items:
                item.missing = dict((d, item.closure.all[d]) for d in missing_blobs(store, item.closure))
                needed.update(item.missing)
                if not item.missing and _ref_index_ok(store, item):
                    item.status = "present"
            todo = [i for i in items if i.status != "present"]
            if settings.check_mode:
                for item in todo:
                    item.status = "would_copy"
                progress.done("check mode: %d image(s) would be copied" % len(todo))
                return _report(settings, items, started, release, {"store": store, "bytes_needed": sum(needed.values())})
            if needed and settings.check_space:
                _check_space(store, sum(needed.values()), settings.space_margin)
            if settings.policy_path or settings.cosign_key:
                _verify_signatures(todo, settings, progress, stopper, crane=crane, skopeo=skopeo, store=store)
                for item in todo:
                    item.missing = dict((d, item.closure.all[d]) for d in missing_blobs(store, item.closure))
            needed = {}
            for item in todo:
                needed.update(item.missing)
            progress.phase("copying", images_total=len(items), bytes_total=sum(needed.values()))
            for item in items:
                if item.status == "present":
                    progress.finished(item.name, "present")

            def pull(item):
                began = time.time()
                progress.started(item.name)
                # Blobs another copy brought in meanwhile are not transferred again: count what is missing now.
                size = sum(item.closure.all[d] for d in missing_blobs(store, item.closure))
                try:
                    layout = _ensure_layout(ref_dir(store, item.name), 2)
                    if getattr(item.closure, "sparse", False):
                        for child in item.closure.children:
                            crane.pull("%s@%s" % (item.entry["repository"], child["digest"]),
                                       _ensure_layout(platform_dir(store, item.name, child), 4),
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
                    _write_ref_index(store, item)
                except Exception as exc:
                    progress.finished(item.name, "failed", note=str(exc)[:200])
                    raise
                progress.finished(item.name, "copied", size)
                return {"bytes": size, "seconds": time.time() - began}

            tasks = [Task(item.name, item.missing, (lambda i=item: pull(i))) for item in todo]
            run_tasks(tasks, settings.concurrency, stop=stopper.event)
            failures = _finish(settings, items, tasks, stopper)
        complete = [i for i in items if i.status in ("present", "copied")]
        blobs = {}
        for item in complete:
            blobs.update(item.closure.all)
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
            report = _report(settings, items, started, release, extra)
            raise MirrorError("%s; the inventory could not be written (%s), the previous one, if any, is unchanged"
                              % (_failure_message(failures, stopper, "") if failures or stopper.signal else "the copy ended",
                                 exc), report) from exc
        if failures or stopper.event.is_set():
            report = _report(settings, items, started, release, extra)
            with contextlib.suppress(IOError, OSError):
                inv.write_report(os.path.join(settings.directory, "reports", "mirror_to_disk.json"), report)
            progress.done("failed")
            raise MirrorError(_failure_message(failures, stopper, "the inventory lists what is complete; run again "
                                               "to continue where it stopped"), report)
        if settings.archive_dir and settings.archive_size:
            progress.phase("writing archive parts")
            prefix = settings.archive_prefix or ("mirror-%s" % release)
            record = archives.pack(store, settings.archive_dir, prefix, settings.archive_size)
            extra["archives"] = {"directory": settings.archive_dir, "prefix": prefix, "reused": record["reused"],
                                 "parts": [p["name"] for p in record["parts"]], "total_size": record["total_size"]}
            extra["wrote"] = extra["wrote"] or not record["reused"]
        report = _report(settings, items, started, release, extra)
        inv.write_report(os.path.join(settings.directory, "reports", "mirror_to_disk.json"), report)
        progress.done("%d copied, %d already there" % (report["summary"]["copied"], report["summary"]["present"]))
        return report


# -- disk_to_mirror ------------------------------------------------------------------------------

def _verify_store(store, inventory, mode, progress, concurrency, check_mode=False):
    """Every blob of the inventory is there with the right size, and (full) the right sha256.

    A full check is remembered in ``.verified`` (blob sizes, times and inodes):
    a rerun on an unchanged store skips the hashing.
    """
    blobs = inventory.get("blobs") or {}
    progress.phase("verifying %d blobs (%s)" % (len(blobs), mode))
    problems = []
    fingerprint = hashlib.sha256()
    for digest in sorted(blobs):
        path = blob_path(store, digest)
        try:
            stat = os.stat(path)
        except OSError:
            problems.append("blob %s is missing" % digest)
            continue
        if stat.st_size != blobs[digest]:
            problems.append("blob %s has %d bytes, the inventory says %d" % (digest, stat.st_size, blobs[digest]))
        fingerprint.update(("%s %d %d %d\n" % (digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)).encode())
    if problems:
        raise MirrorError("the mirror store %s does not match its inventory: %s" % (store, "; ".join(problems[:10])))
    stamp_path = os.path.join(store, ".verified")
    stamp = {"inventory": inv.digest_of_file(os.path.join(store, inv.INVENTORY)), "fingerprint": fingerprint.hexdigest()}
    if mode == "quick":
        return "sizes"
    try:
        with open(stamp_path, "rb") as handle:
            if json.loads(handle.read().decode()) == stamp:
                return "unchanged since the last full check"
    except (OSError, ValueError):
        pass

    def check(digest):
        return None if sha256_file(blob_path(store, digest)) == digest else digest

    bad = [d for d in _parallel(check, sorted(blobs), max(2, concurrency)) if d]
    if bad:
        raise MirrorError("%d blob(s) in %s do not match their digest (corrupted), first %s; nothing was pushed"
                          % (len(bad), store, bad[0]))
    if not check_mode:
        atomic_write(stamp_path, json.dumps(stamp).encode())
    return "sha256 of every blob"


def _check_store_images(store, items, settings):
    for item in items:
        sparse = bool(item.entry.get("_sparse"))
        try:
            closure = walk(item.digest, local_fetch(store), set(item.entry.get("_platforms") or []) if sparse else None)
        except LayoutError as exc:
            raise MirrorError("image %s in the store: %s" % (item.name, exc)) from exc
        closure.sparse = sparse
        item.closure = closure


def _items_from_inventory(inventory, settings):
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


def _destination(item, settings):
    project = item.entry.get("project") or settings.project
    return mirror_repository(item.entry["repository"], settings.registry, project)


def _preflight(skopeo, items, settings, progress):
    """Check the credentials and that every project exists before anything is pushed."""
    progress.phase("checking the destination")
    host = settings.registry
    credentials = settings.dest.credentials.get(host)
    if credentials:
        proc = subprocess.run(  # noqa: S603 - argv of the configured skopeo
            skopeo._global()[:1] + ["login", "--authfile", os.path.join(skopeo.private, "login-check.json")]
            + (["--cert-dir", skopeo._files["dest-certs"]] if "dest-certs" in skopeo._files else [])
            + ["--tls-verify=%s" % ("true" if settings.dest.tls_verify else "false"),
               "-u", credentials[0], "--password-stdin", host],
            input=credentials[1].encode("utf-8"), capture_output=True, timeout=120, check=False)
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace")
            raise MirrorError("the registry %s refused the credentials of %s: %s; nothing was pushed"
                              % (host, credentials[0], last_lines(text, 2)))
    projects = sorted(set((i.entry.get("project") or settings.project) for i in items))
    missing = []
    for project in projects:
        probe = "docker://%s/%s/%s@%s" % (host, project, PROBE_REPOSITORY, ZERO_DIGEST)
        try:
            skopeo.inspect_raw(probe, side="dest")
        except CopyError as exc:
            if exc.kind == "project":
                if settings.check_mode:  # the role would create it before a real run
                    missing.append(project)
                    continue
                raise MirrorError("project %s does not exist on %s (create it first, for example with "
                                  "airgap.dify_platform.harbor_project); nothing was pushed" % (project, host)) from exc
            if exc.kind in ("auth", "tls", "connection"):
                raise MirrorError("cannot push into %s/%s: %s; nothing was pushed" % (host, project, exc)) from exc
    return missing


def _present(skopeo, item, dest_ref_base):
    """Whether the destination already holds the image (and, when sparse, each chosen platform)."""
    digests = [item.digest] + ([c["digest"] for c in item.closure.children] if getattr(item.closure, "sparse", False) else [])
    for digest in digests:
        try:
            data = skopeo.inspect_raw("docker://%s@%s" % (dest_ref_base, digest), side="dest")
        except CopyError as exc:
            if exc.kind in ("not_found", "project"):
                return False
            raise
        if digest_of(data) != digest:
            return False
    return True


def _push_tags(skopeo, item, source_ref, settings, stopper):
    tag = item.entry.get("tag")
    if not (tag and settings.push_tags):
        return
    multi = "index-only" if item.closure.children else "all"
    skopeo.copy(source_ref, "docker://%s:%s" % (item.destination, tag), multi_arch=multi,
                src_shared_blob_dir=os.path.join(settings.store, "blobs") if source_ref.startswith("oci:") else None,
                timeout=settings.copy_timeout, on_start=stopper.track)


def _copy_to_registry(settings, items, skopeo, progress, stopper, source_of):
    """Push ``items`` (present ones skipped); ``source_of(item, child_descriptor_or_None)`` gives skopeo's source."""
    for item in items:
        item.destination = _destination(item, settings)

    def present(item):
        return item, _present(skopeo, item, item.destination)

    progress.phase("checking what the destination already holds", images_total=len(items))
    for item, there in _parallel(present, items, settings.concurrency):
        if there:
            item.status = "present"
    todo = [i for i in items if i.status != "present"]
    if settings.check_mode:
        for item in todo:
            item.status = "would_copy"
        return []
    total = {}
    for item in todo:
        total.update(item.closure.all)
    progress.phase("copying", bytes_total=sum(total.values()))
    for item in items:
        if item.status == "present":
            progress.finished(item.name, "present")
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
            if not _present(skopeo, item, item.destination):
                raise CopyError("digest", "image %s: after the copy, %s@%s does not answer with that digest"
                                % (item.name, item.destination, item.digest))
            _push_tags(skopeo, item, source, settings, stopper)
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


def _registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, extra):
    report_path = os.path.join(settings.directory, "reports", "%s-%s.json" % (settings.mode, settings.registry.replace(":", "_")))
    missing_projects = _preflight(skopeo, items, settings, progress)
    tasks = _copy_to_registry(settings, items, skopeo, progress, stopper, source_of)
    failures = _finish(settings, items, tasks, stopper)
    extra = dict(extra, report=report_path)
    if missing_projects:
        extra["missing_projects"] = missing_projects
    report = _report(settings, items, started, release, extra)
    if not settings.check_mode:
        inv.write_report(report_path, report)
    if failures or stopper.event.is_set():
        progress.done("failed")
        raise MirrorError(_failure_message(failures, stopper, "%s lists what was pushed; run again to continue" % report_path),
                          report)
    progress.done("%d copied, %d already there" % (report["summary"]["copied"], report["summary"]["present"]))
    return report


def disk_to_mirror(settings):
    """Verify the transfer (parts, inventory, blobs), then push every complete image to the registry."""
    if not settings.registry or not settings.project:
        raise ValidationError("disk_to_mirror needs the mirror registry and project")
    started = time.time()
    with _Lock(settings.directory, settings.check_mode), _Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        extra = {"store": settings.store}
        inventory = None
        if settings.archive_dir:
            inventory = _take_archives(settings, progress, extra)
        if inventory is None:
            try:
                inventory = inv.load(settings.store)
            except inv.InventoryError as exc:
                raise MirrorError(str(exc)) from exc
            extra["verified"] = _verify_store(settings.store, inventory, settings.verify, progress,
                                              settings.concurrency, settings.check_mode)
        release = inventory.get("release")
        if settings.manifest and settings.manifest.get("release") != release:
            raise MirrorError("the disk holds release %s, the release manifest is %s" % (release, settings.manifest.get("release")))
        items = _items_from_inventory(inventory, settings)
        if extra.get("extracted") is None and settings.check_mode and settings.archive_dir:
            for item in items:  # the store is not extracted in check mode: plan from the inventory alone
                item.closure = _closure_from_record(item)
        else:
            _check_store_images(settings.store, items, settings)

        def source_of(item, child):
            # No ":reference": skopeo 1.9 skips Docker-typed descriptors when it looks one up by name.
            if child is None:
                return "oci:%s" % ref_dir(settings.store, item.name)
            return "oci:%s" % platform_dir(settings.store, item.name, child)

        with Skopeo(dest=settings.dest, binary=settings.skopeo) as skopeo:
            return _registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, extra)


def _take_archives(settings, progress, extra):
    """Verify the parts and extract them into the store unless it already holds them.

    Returns the inventory read from the parts in check mode (nothing is extracted then), else None.
    """
    prefix = settings.archive_prefix or _find_prefix(settings.archive_dir)
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
        archives.unpack(settings.archive_dir, prefix, settings.store)
        extra["extracted"] = True
        return None
    except archives.ArchiveError as exc:
        raise MirrorError(str(exc)) from exc


def _closure_from_record(item):
    from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import Closure
    closure = Closure(item.digest)
    closure.manifests[item.digest] = item.entry.get("_size") or 0  # the image's whole size, for the report
    closure.sparse = False
    return closure


def _find_prefix(archive_dir):
    if not os.path.isdir(archive_dir):
        raise MirrorError("the archive directory %s does not exist (mount the transfer media there, or set the "
                          "archive size to 0 to push the store as it is)" % archive_dir)
    found = sorted(n[: -len(".parts.json")] for n in os.listdir(archive_dir) if n.endswith(".parts.json"))
    if len(found) != 1:
        raise MirrorError("%s holds %s parts lists; set the archive prefix" % (archive_dir, len(found) or "no"))
    return found[0]


# -- mirror_to_mirror ----------------------------------------------------------------------------

def mirror_to_mirror(settings):
    """Copy every image of the manifest from its source registry to the mirror registry directly."""
    if not settings.registry or not settings.project:
        raise ValidationError("mirror_to_mirror needs the mirror registry and project")
    started = time.time()
    release = settings.manifest.get("release")
    with _Lock(settings.directory, settings.check_mode), _Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        items = _items(settings)
        with Skopeo(src=settings.src, dest=settings.dest, binary=settings.skopeo, policy_path=settings.policy_path,
                    registries_d=settings.registries_d) as skopeo:
            def remote(ref):
                return skopeo.inspect_raw("docker://" + ref)

            _resolve_tags(items, remote, settings)
            _plan(items, _Fetcher(remote), settings, progress)
            if settings.policy_path or settings.cosign_key:
                with Crane(settings.src, settings.crane) as crane:
                    _verify_signatures(items, settings, progress, stopper, crane=crane, skopeo=skopeo)

            def source_of(item, child):
                return "docker://%s@%s" % (item.entry["repository"], (child or {}).get("digest") or item.digest)

            return _registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, {})


def run(settings):
    return {"mirror_to_disk": mirror_to_disk, "disk_to_mirror": disk_to_mirror,
            "mirror_to_mirror": mirror_to_mirror}[settings.mode](settings)


def parse_size(value):
    """``4G``, ``700M``, ``1048576`` -> bytes (binary units)."""
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().rstrip("B").rstrip("I")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ValidationError("%r is not a size such as 4G, 700M or 1048576" % (value,)) from None
