# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this controller last applied to each object, so that an object nobody changed is not sent again.

After an apply, the object's ``uid`` and ``resourceVersion`` are recorded with
a digest of the manifest sent (with the field manager and the force flag).
Every write to an object, by anyone, gives it a new resourceVersion. So when
the live object still has the recorded uid and resourceVersion, and the
manifest's digest is the recorded one, the object is exactly what that apply
left, and applying the same manifest again cannot change it.

Secrets are never recorded: the digest of a manifest holding a weak password
could be guessed. A record that is missing, unreadable or stale only costs
the apply it would have saved.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.private_file import read_json_mapping, write_private_json

NEVER_RECORDED_KINDS = ("Secret",)


def default_record_dir():
    """``$XDG_CACHE_HOME/airgap.dify_platform/applied``, or under ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "airgap.dify_platform", "applied")


def manifest_digest(obj, field_manager, force):
    """A digest of what an apply sends: the manifest, the field manager and the force flag."""
    canonical = json.dumps([obj, field_manager, bool(force)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_key(obj):
    metadata = obj.get("metadata") or {}
    return "%s %s %s/%s" % (obj.get("apiVersion"), obj.get("kind"), metadata.get("namespace") or "", metadata.get("name"))


class AppliedRecord:
    """The record of one cluster, kept in a JSON file (``path``; None keeps it in memory only)."""

    def __init__(self, path=None, entries=None):
        self.path = path
        self.entries = dict(entries or {})
        self._dirty = False

    @classmethod
    def load(cls, directory, server):
        """The record of the cluster at ``server`` under ``directory``; empty if there is none yet."""
        path = os.path.join(directory, hashlib.sha256(server.encode("utf-8")).hexdigest()[:16] + ".json")
        return cls(path, read_json_mapping(path))

    def covers(self, obj):
        return obj.get("kind") not in NEVER_RECORDED_KINDS

    def unchanged_since_applied(self, obj, live, digest):
        """Whether ``live`` is still what applying ``digest`` to ``obj`` left."""
        entry = self.entries.get(record_key(obj))
        metadata = (live or {}).get("metadata") or {}
        return (isinstance(entry, dict) and entry.get("digest") == digest
                and entry.get("uid") == metadata.get("uid") and entry.get("resourceVersion") == metadata.get("resourceVersion")
                and metadata.get("resourceVersion") is not None)

    def remember(self, obj, applied, digest):
        metadata = (applied or {}).get("metadata") or {}
        self.entries[record_key(obj)] = {
            "uid": metadata.get("uid"), "resourceVersion": metadata.get("resourceVersion"), "digest": digest}
        self._dirty = True

    def save(self):
        """Write the record if it changed, atomically, readable by its owner only."""
        if not self._dirty or not self.path:
            return
        write_private_json(self.path, self.entries)
        self._dirty = False
