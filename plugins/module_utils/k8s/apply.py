# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply of a list of objects, telling what changed.

Each object is read, then applied with ``application/apply-patch+yaml`` (in
check mode as a server dry run, ``dryRun=All``). It changed when what the
server returns differs from what was read, apart from ``status`` and the
metadata the server keeps for itself (``resourceVersion``, ``generation``,
``managedFields``). The resourceVersion alone would not do: the first apply
after an object's creation records a ``before-first-apply`` manager for the
server's defaults, a write that changes nothing the user declared. An object whose namespace does not exist yet
(created by the same run) cannot be dry-run and is reported as to be created.

With an ``AppliedRecord`` (``applied.py``), an object still exactly as this
controller's last apply of the same manifest left it is not sent again: the
read shows it, and the apply is skipped. :func:`confirm_unchanged` does the
same for objects known only by their identity and manifest digest (a template
recalled, not rendered).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.applied import manifest_digest
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import object_ref
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import MASK, MASK_CHANGED

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
CREATED, CONFIGURED, UNCHANGED = "created", "configured", "unchanged"
# Metadata the server keeps for itself; a difference there alone is not a change.
VOLATILE_METADATA = ("resourceVersion", "managedFields", "generation")


def require_served(client, objects):
    """Fail, naming it, when the kind of one of ``objects`` is not served.

    Called with every object of a wave before the first write: a missing CRD
    fails the wave untouched, not halfway through.
    """
    for obj in objects:
        client.path(obj)


def apply_objects(client, objects, field_manager, force=True, check_mode=False, create_only=False, applied=None):
    """Apply every object in order; return one result dict per object.

    The caller has checked with :func:`require_served` that every kind is
    served. ``create_only`` leaves objects that exist as they are: generated
    Secrets are created once and never rewritten. ``applied`` (an
    ``AppliedRecord``) skips the objects nobody changed since this controller
    applied them, and records what a real apply sends.
    """
    missing_namespaces, existing_namespaces = set(), set()
    results = []
    for obj in objects:
        namespace = (obj.get("metadata") or {}).get("namespace")
        if check_mode and obj.get("kind") == "Namespace":
            missing_namespaces.discard(obj["metadata"]["name"])
        if check_mode and namespace and namespace not in existing_namespaces:
            if namespace in missing_namespaces or not _namespace_exists(client, namespace):
                missing_namespaces.add(namespace)
                results.append(_result(obj, CREATED, None, obj, sent=False))
                continue
            existing_namespaces.add(namespace)
        results.append(apply_object(client, obj, field_manager, force, check_mode, create_only, applied))
        if check_mode and obj.get("kind") == "Namespace" and results[-1]["action"] == CREATED:
            missing_namespaces.add(obj["metadata"]["name"])
    return results


def apply_object(client, obj, field_manager, force=True, check_mode=False, create_only=False, applied=None):
    path = client.path(obj)
    before = _read(client, path)
    if create_only and before is not None:
        return _result(obj, UNCHANGED, before, before, sent=False)
    digest = manifest_digest(obj, field_manager, force) if applied is not None and applied.covers(obj) else None
    if digest and before is not None and applied.unchanged_since_applied(obj, before, digest):
        return _result(obj, UNCHANGED, before, before, sent=False)
    query = {"fieldManager": field_manager, "force": "true" if force else None, "dryRun": "All" if check_mode else None}
    after = client.request(
        "PATCH", path, query=query, body=obj, headers={"Content-Type": APPLY_CONTENT_TYPE}).json()
    if digest and not check_mode:
        applied.remember(obj, after, digest)
    if before is None:
        action = CREATED
    else:
        action = CONFIGURED if _comparable(before) != _comparable(after) else UNCHANGED
    return _result(obj, action, before, after)


def confirm_unchanged(client, recalled, applied):
    """The results of objects nobody changed since this controller applied them, or None.

    ``recalled`` holds the (identity, manifest digest) of each object a template
    rendered the last time its inputs were the same. When each live object is
    still what applying that digest left (``applied``, an AppliedRecord), every
    one is unchanged and nothing needs rendering; at the first that is not,
    the answer is None and the caller renders and applies as usual.
    """
    results = []
    for identity, digest in recalled:
        before = _read(client, client.path(identity))
        if before is None or not applied.unchanged_since_applied(identity, before, digest):
            return None
        results.append(_result(identity, UNCHANGED, before, before, sent=False))
    return results


def _read(client, path):
    """The live object at ``path``, or None when there is none."""
    live = client.request("GET", path, expect=(404,))
    return None if live.status == 404 else live.json()


def _namespace_exists(client, name):
    return client.request("GET", "/api/v1/namespaces/" + name, expect=(404,)).status != 404


def _comparable(obj, drop=VOLATILE_METADATA):
    """``obj`` without status and the ``drop`` metadata keys (a shallow copy: nothing nested is changed)."""
    shown = dict(obj)
    shown.pop("status", None)
    shown["metadata"] = dict((k, v) for k, v in (obj.get("metadata") or {}).items() if k not in drop)
    return shown


def _result(obj, action, before, after, sent=True):
    return {
        "sent": sent,
        "ref": object_ref(obj),
        "kind": obj.get("kind"),
        "name": obj["metadata"]["name"],
        "namespace": obj["metadata"].get("namespace"),
        "action": action,
        "before": before,
        "after": after,
    }


def diff_of(result):
    """The before/after of one applied object for ``--diff``: no managedFields, Secret values masked."""
    before, after = _shown(result["before"]), _shown(result["after"])
    if result["kind"] == "Secret":
        for field in ("data", "stringData"):
            old, new = before.get(field) or {}, after.get(field) or {}
            if field in before:
                before[field] = dict((key, MASK) for key in old)
            if field in after:
                after[field] = dict((key, MASK if old.get(key) == value else MASK_CHANGED) for key, value in new.items())
    return {
        "before_header": result["ref"],
        "after_header": result["ref"],
        "before": before,
        "after": after,
    }


def _shown(obj):
    if obj is None:
        return {}
    return _comparable(obj, (*VOLATILE_METADATA, "uid", "creationTimestamp"))
