# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative sync of teams, users and keys: plan (pure), then apply.

``plan_sync`` compares the desired state with the three lists read from
LiteLLM and returns an ordered :class:`Plan`: teams first, then users, then
keys (a key may name a team or user declared in the same run), and deletions
last, so that a failure part-way never leaves deletions done before the
creations they were meant to follow. Check mode stops at the plan.

``apply_plan`` runs the actions in that order and keeps count; when a request
fails after its retries it raises :class:`SyncError`, which lists what was done
and what remains. Re-running plans again from what LiteLLM then holds, so it
only does what is still missing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.client import DELETE_BATCH
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    SECRET_FIELDS,
    SYNC_OWNER,
    TEAM_FIELDS,
    USER_FIELDS,
    compare_entity,
    compare_key,
    describe_owner,
    entity_view,
    key_value_differs,
    key_view,
    owned_by,
    raw_key_lost,
    tag_of,
    view_after,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.create import (
    create_key,
    create_once,
    recreate_key,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import SyncError
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked_diff

KINDS = ("team", "user", "key")
ORDER = {("team", "create"): 0, ("team", "update"): 1, ("user", "create"): 2, ("user", "update"): 3,
         ("key", "create"): 4, ("key", "update"): 5, ("key", "delete"): 6}


class Action:
    """One write: create, update or delete of a team, user or key."""

    def __init__(self, kind, op, ident, body=None, before=None, after=None, changes=None, replace=False):
        self.kind = kind
        self.op = op
        self.ident = ident
        self.body = body
        self.before = before
        self.after = after
        self.changes = changes or []
        self.replace = replace  # a create that deletes the existing key first (its raw key was lost)

    @property
    def label(self):
        return "%s %s %s" % (self.op, self.kind, self.ident)

    def as_dict(self):
        return {"op": self.op, "kind": self.kind, "id": self.ident, "changes": list(self.changes)}


class Plan:
    def __init__(self, actions, unchanged, warnings, lost_keys=None):
        self.actions = sorted(actions, key=lambda a: ORDER[(a.kind, a.op)])
        self.unchanged = unchanged
        self.warnings = warnings
        self.lost_keys = lost_keys or []

    @property
    def changed(self):
        return bool(self.actions)

    def summary(self):
        counts = dict((op, dict((kind + "s", 0) for kind in KINDS)) for op in ("created", "updated", "deleted"))
        for action in self.actions:
            counts[action.op + "d"][action.kind + "s"] += 1
        counts["unchanged"] = dict(self.unchanged)
        return counts

    def diff(self):
        """Before and after of every item that changes, grouped by kind, secrets masked."""
        before = dict((kind + "s", {}) for kind in KINDS)
        after = dict((kind + "s", {}) for kind in KINDS)
        for action in self.actions:
            if action.before is not None:
                before[action.kind + "s"][action.ident] = action.before
            if action.after is not None:
                after[action.kind + "s"][action.ident] = action.after
        return masked_diff(before, after, SECRET_FIELDS)


def _index(items, field):
    return dict((item.get(field), item) for item in items if isinstance(item, dict) and item.get(field))


def plan_sync(desired, current_teams, current_users, current_keys, scope, prune=False, adopt=False,
              recreate_lost=False):
    """The ordered actions that make LiteLLM match ``desired`` (a ``desired.Desired``).

    A key of this scope whose raw key was lost at creation is named in ``lost_keys`` with a
    warning, or, with ``recreate_lost``, deleted and created again.
    """
    if not scope:
        raise ValidationError("scope must not be empty")
    actions, warnings = [], []
    unchanged = {"teams": 0, "users": 0, "keys": 0}
    for kind, wanted, current, id_field, fields in (
            ("team", desired.teams, _index(current_teams, "team_id"), "team_id", TEAM_FIELDS),
            ("user", desired.users, _index(current_users, "user_id"), "user_id", USER_FIELDS)):
        for ident, spec in wanted.items():
            have = current.get(ident)
            op, body, changes = compare_entity(spec, have, id_field, fields)
            if op == "none":
                unchanged[kind + "s"] += 1
                continue
            before = entity_view(have, id_field, fields)
            actions.append(Action(kind, op, ident, body, before, view_after(before, body), changes))

    keys = _index(current_keys, "key_alias")
    conflicts, lost = [], []
    for alias, spec in desired.keys.items():
        have = keys.get(alias)
        group = getattr(spec, "group", None)
        op, body, changes = compare_key(spec, have, scope, group, adopt, SYNC_OWNER)
        if op == "conflict":
            conflicts.append("%s (%s)" % (alias, describe_owner(tag_of(have))))
            continue
        if have is not None and raw_key_lost(have) and owned_by(tag_of(have), scope, SYNC_OWNER):
            if recreate_lost:
                body = compare_key(spec, None, scope, group, adopt, SYNC_OWNER)[1]
                before = key_view(have)
                actions.append(Action("key", "create", alias, body, before, view_after(None, body),
                                      ["recreated (its raw key was lost)"], replace=True))
                continue
            lost.append(alias)
            warnings.append("key %r exists but its raw key was lost when it was created; set "
                            "recreate_lost_keys: true to delete it and create it again" % alias)
        if key_value_differs(spec, have):
            warnings.append("key %r already exists with another value; LiteLLM keeps its current value "
                            "(the declared key is only used when the key is created)" % alias)
        if op == "none":
            unchanged["keys"] += 1
            continue
        before = key_view(have)
        if op == "update":
            body["key"] = have["token"]
        actions.append(Action("key", op, alias, body, before, view_after(before, body), changes))
    if conflicts:
        raise ValidationError(
            "%d declared key alias(es) belong to keys that this task (litellm_key_sync, scope %r) does not own, "
            "so it changes none of them: %s. Nothing was changed. Rename the declared keys, remove them from the "
            "other declaration, or set adopt=true to take these keys over."
            % (len(conflicts), scope, ", ".join(sorted(conflicts)[:20])))

    if prune:
        for alias, have in sorted(keys.items()):
            if alias in desired.keys or not owned_by(tag_of(have), scope, SYNC_OWNER):
                continue
            actions.append(Action("key", "delete", alias, before=key_view(have)))
    return Plan(actions, unchanged, warnings, lost)


def read_current(client, desired):
    """``(teams, users, keys)`` as LiteLLM holds them, read with paginated lists.

    Keys are listed with their users embedded; only declared users that own no key are
    then asked for by id. LiteLLM's plain user list counts each listed user's keys with one
    query per user, which would make a no-op over many users slow.
    """
    keys = client.list_keys(with_users=bool(desired.users))
    users = {}
    for key in keys:
        user = key.get("user") if isinstance(key, dict) else None
        if isinstance(user, dict) and user.get("user_id") in desired.users:
            users[user["user_id"]] = user
    missing = [user_id for user_id in desired.users if user_id not in users]
    if missing:
        for user in client.find_users(missing):
            users[user["user_id"]] = user
    teams = client.list_teams() if desired.teams else []
    return teams, list(users.values()), keys


def _find_user(client, user_id):
    found = client.find_users([user_id])
    return found[0] if found else None


def _apply_one(client, action, recreate_lost_keys):
    """Send one action; creates go once and are looked up after a failure (create.py)."""
    if action.kind == "team":
        if action.op == "update":
            return client.update_team(action.body)
        return create_once(lambda: client.new_team(action.body), lambda: client.find_team(action.ident))
    if action.kind == "user":
        if action.op == "update":
            return client.update_user(action.body)
        body = dict(action.body, auto_create_key=False)
        return create_once(lambda: client.new_user(body), lambda: _find_user(client, action.ident))
    if action.op == "create" and action.replace:
        return recreate_key(client, action.body)[0]
    if action.op == "create":
        created, recreated = create_key(client, action.body, recreate_lost_keys, "recreate_lost_keys")
        if recreated:
            action.changes = [*action.changes, "recreated (the first raw key was lost)"]
        return created
    return client.update_key(action.body)


def apply_plan(plan, client, recreate_lost_keys=False):
    """Run the plan's writes in order; returns ``{alias: raw key}`` of the keys created."""
    done, created_keys = [], {}
    writes = [a for a in plan.actions if a.op != "delete"]
    deletes = [a for a in plan.actions if a.op == "delete"]
    for index, action in enumerate(writes):
        try:
            result = _apply_one(client, action, recreate_lost_keys)
        except ApiError as exc:
            remaining = [a.label for a in writes[index + 1:]] + [a.label for a in deletes]
            raise SyncError(exc, done, action.label, remaining, created_keys) from exc
        if action.kind == "key" and action.op == "create":
            created_keys[action.ident] = (result or {}).get("key")
        done.append(action.label)
    for start in range(0, len(deletes), DELETE_BATCH):
        batch = deletes[start:start + DELETE_BATCH]
        try:
            client.delete_keys([a.ident for a in batch])
        except ApiError as exc:
            remaining = [a.label for a in batch[1:]] + [a.label for a in deletes[start + DELETE_BATCH:]]
            raise SyncError(exc, done, batch[0].label, remaining, created_keys) from exc
        done.extend(a.label for a in batch)
    return created_keys
