# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure compare logic: what the user declared against what LiteLLM holds.

Only declared fields are compared (``None`` means "not declared, leave as is"),
each in LiteLLM's canonical form: model lists as sets, budgets as floats, limits
as integers. ``metadata`` is merged rather than replaced, because LiteLLM
replaces the whole metadata object on update: the declared keys are laid over
the current ones (a declared ``null`` removes a key) and the result is written.

Keys this collection manages carry a tag in their metadata under ``TAG``:
``{"scope": ..., "owner": ..., "duration": ..., "group": ...}``. A key belongs to
one owner (the module that made it, ``litellm_key`` or ``litellm_key_sync``) and
one scope; any other module or scope treats it as a conflict and leaves it
alone unless told to adopt it. A tag without ``owner`` was written before the
owner was recorded and belongs to its scope in either module. Only keys of the
same owner and scope are ever deleted. The tag also remembers the declared ``duration``: LiteLLM stores only
the resulting expiry date, so a key's duration is applied when the key is
created and again only when the declared duration changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib

TAG = "airgap.dify_platform"
SYNC_OWNER = "litellm_key_sync"
KEY_OWNER = "litellm_key"
# Set in the tag of a key that LiteLLM created although the answer with its raw key was lost (create.py),
# so that a later run can still name it and, when asked, create it again.
RAW_KEY_LOST = "raw_key_lost"

LIMIT_FIELDS = ("models", "max_budget", "budget_duration", "tpm_limit", "rpm_limit")
KEY_FIELDS = ("user_id", "team_id", "max_parallel_requests", *LIMIT_FIELDS)
USER_FIELDS = ("user_alias", "user_email", "user_role", "max_parallel_requests", *LIMIT_FIELDS)
TEAM_FIELDS = ("team_alias", *LIMIT_FIELDS)

FLOAT_FIELDS = frozenset(["max_budget"])
INT_FIELDS = frozenset(["tpm_limit", "rpm_limit", "max_parallel_requests"])
SET_FIELDS = frozenset(["models"])

SECRET_FIELDS = ("key", "token", "api_key")


def normalize(field, value):
    """A field's value in the form used for comparing."""
    if value is None:
        return None
    if field in SET_FIELDS:
        return sorted(set(str(item) for item in value))
    if field in FLOAT_FIELDS:
        return float(value)
    if field in INT_FIELDS:
        return int(value)
    return value


def field_changes(declared, current, fields):
    """``{field: {"before": ..., "after": ...}}`` for every declared field that differs."""
    changes = {}
    for field in fields:
        wanted = declared.get(field)
        if wanted is None:
            continue
        have = (current or {}).get(field)
        if normalize(field, wanted) != normalize(field, have):
            changes[field] = {"before": have, "after": wanted}
    return changes


def merge_metadata(current, declared, tag=None):
    """The metadata to write: current, with the declared keys laid over it and the tag set.

    A declared key whose value is None is removed. ``tag`` (a dict) replaces the
    collection's tag; ``tag=None`` leaves whatever tag there is.
    """
    merged = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in (declared or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = copy.deepcopy(value)
    if tag is not None:
        merged[TAG] = tag
    return merged


def tag_of(obj):
    """The collection's tag on a key, or None when the key is not managed by it."""
    metadata = (obj or {}).get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get(TAG), dict):
        return metadata[TAG]
    return None


def is_managed(obj):
    return tag_of(obj) is not None


def owned_by(tag, scope, owner):
    """Whether a key with ``tag`` belongs to ``owner`` (a module name) in ``scope``."""
    return isinstance(tag, dict) and tag.get("scope") == scope and tag.get("owner") in (None, owner)


def raw_key_lost(obj):
    """Whether the key's tag records that its raw key was lost at creation."""
    return bool((tag_of(obj) or {}).get(RAW_KEY_LOST))


def describe_owner(tag):
    """Who a key belongs to, for messages."""
    if not isinstance(tag, dict):
        return "not created by this collection"
    return "owned by %s in scope %r" % (tag.get("owner") or "a module of this collection", tag.get("scope"))


def wanted_tag(current_tag, scope, duration=None, group=None, owner=None):
    """The tag a declared key should carry.

    ``scope`` always; ``owner`` when the key is created or adopted (a key already owned keeps
    its tag as it is, so that older tags without an owner are not rewritten); ``group`` when
    the key comes from a group; ``duration`` when declared, else the duration last applied
    stays remembered (leaving it out never changes the expiry).
    """
    tag = dict(current_tag or {})
    if owner is not None and not owned_by(current_tag, scope, owner):
        tag["owner"] = owner
    tag["scope"] = scope
    if duration is not None:
        tag["duration"] = duration
    if group is None:
        tag.pop("group", None)
    else:
        tag["group"] = group
    return tag


def hash_key(raw_key):
    """LiteLLM's token for a raw key (the sha256 hex digest of the key)."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def key_view(obj, fields=KEY_FIELDS):
    """The part of a key the module reports and diffs: alias, declared-able fields, metadata, expiry."""
    if obj is None:
        return None
    view = {"key_alias": obj.get("key_alias")}
    for field in fields:
        view[field] = obj.get(field)
    view["metadata"] = copy.deepcopy(obj.get("metadata") or {})
    view["expires"] = obj.get("expires")
    return view


def entity_view(obj, id_field, fields):
    if obj is None:
        return None
    view = {id_field: obj.get(id_field)}
    for field in fields:
        view[field] = obj.get(field)
    view["metadata"] = copy.deepcopy(obj.get("metadata") or {})
    return view


def compare_key(declared, current, scope, group=None, adopt=False, owner=SYNC_OWNER):
    """What to send to make ``current`` (a key from LiteLLM, or None) match ``declared``.

    Returns ``(op, body, changes)`` where op is ``create``, ``update``, ``none`` or
    ``conflict`` (the alias belongs to a key that ``owner`` does not own in ``scope``:
    made by someone else, by another scope, or by the other module; and ``adopt`` is
    false). ``changes`` names the fields that differ. For ``update`` the body lacks
    the key's token; the caller adds it.
    """
    duration = declared.get("duration")
    if current is None:
        tag = wanted_tag(None, scope, duration, group, owner)
        body = {"key_alias": declared["key_alias"]}
        for field in KEY_FIELDS:
            if declared.get(field) is not None:
                body[field] = declared[field]
        body["metadata"] = merge_metadata({}, declared.get("metadata"), tag)
        if duration is not None:
            body["duration"] = duration
        if declared.get("key"):
            body["key"] = declared["key"]
        changes = sorted(k for k in body if k not in ("key_alias", "key"))
        return "create", body, changes

    current_tag = tag_of(current)
    if not owned_by(current_tag, scope, owner) and not adopt:
        return "conflict", None, []

    changes = field_changes(declared, current, KEY_FIELDS)
    body = dict((field, change["after"]) for field, change in changes.items())
    tag = wanted_tag(current_tag, scope, duration, group, owner)
    metadata = merge_metadata(current.get("metadata"), declared.get("metadata"), tag)
    if metadata != (current.get("metadata") or {}):
        body["metadata"] = metadata
        changes["metadata"] = {"before": current.get("metadata"), "after": metadata}
    if duration is not None and (current_tag or {}).get("duration") != duration:
        body["duration"] = duration
        changes["duration"] = {"before": (current_tag or {}).get("duration"), "after": duration}
    if not body:
        return "none", None, []
    return "update", body, sorted(changes)


def compare_entity(declared, current, id_field, fields):
    """Users and teams: ``(op, body, changes)`` with op ``create``, ``update`` or ``none``."""
    if current is None:
        body = {id_field: declared[id_field]}
        for field in fields:
            if declared.get(field) is not None:
                body[field] = declared[field]
        if declared.get("metadata"):
            body["metadata"] = merge_metadata({}, declared["metadata"])
        return "create", body, sorted(k for k in body if k != id_field)
    changes = field_changes(declared, current, fields)
    body = dict((field, change["after"]) for field, change in changes.items())
    if declared.get("metadata"):
        metadata = merge_metadata(current.get("metadata"), declared["metadata"])
        if metadata != (current.get("metadata") or {}):
            body["metadata"] = metadata
            changes["metadata"] = {"before": current.get("metadata"), "after": metadata}
    if not body:
        return "none", None, []
    body[id_field] = declared[id_field]
    return "update", body, sorted(changes)


def view_after(view, body):
    """What a view becomes once ``body`` is applied (for diffs and check mode)."""
    after = copy.deepcopy(view) if view is not None else {}
    for field, value in (body or {}).items():
        if field in SECRET_FIELDS or field == "duration":
            continue
        after[field] = copy.deepcopy(value)
    return after


def key_value_differs(declared, current):
    """True when a raw ``key`` is declared for an existing key whose value is another one."""
    raw = declared.get("key")
    return bool(raw and current is not None and current.get("token") and hash_key(raw) != current.get("token"))
