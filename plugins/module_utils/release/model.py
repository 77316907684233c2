# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror's model: the settings of a run, its images, its error, and sizes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Endpoint

MODES = ("mirror_to_disk", "disk_to_mirror", "mirror_to_mirror")


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


def items_of(settings):
    manifest = settings.manifest
    if not manifest or not manifest.get("images"):
        raise ValidationError("the release manifest lists no images")
    return [Item(manifest["images"][name]) for name in sorted(manifest["images"])]


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
