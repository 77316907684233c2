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

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiError,
    ApiResponseError,
    ValidationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.client import DELETE_BATCH
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    SECRET_FIELDS,
    TEAM_FIELDS,
    USER_FIELDS,
    compare_entity,
    compare_key,
    entity_view,
    key_value_differs,
    key_view,
    tag_of,
    view_after,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import SyncError
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked_diff

KINDS = ("team", "user", "key")
ORDER = {("team", "create"): 0, ("team", "update"): 1, ("user", "create"): 2, ("user", "update"): 3,
         ("key", "create"): 4, ("key", "update"): 5, ("key", "delete"): 6}


class Action:
    """One write: create, update or delete of a team, user or key."""

    def __init__(self, kind, op, ident, body=None, before=None, after=None, changes=None):
        self.kind = kind
        self.op = op
        self.ident = ident
        self.body = body
        self.before = before
        self.after = after
        self.changes = changes or []

    @property
    def label(self):
        return "%s %s %s" % (self.op, self.kind, self.ident)

    def as_dict(self):
        return {"op": self.op, "kind": self.kind, "id": self.ident, "changes": list(self.changes)}


class Plan:
    def __init__(self, actions, unchanged, warnings):
        self.actions = sorted(actions, key=lambda a: ORDER[(a.kind, a.op)])
        self.unchanged = unchanged
        self.warnings = warnings

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


def plan_sync(desired, current_teams, current_users, current_keys, scope, prune=False, adopt=False):
    """The ordered actions that make LiteLLM match ``desired`` (a ``desired.Desired``)."""
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
    conflicts = []
    for alias, spec in desired.keys.items():
        have = keys.get(alias)
        op, body, changes = compare_key(spec, have, scope, getattr(spec, "group", None), adopt)
        if op == "conflict":
            conflicts.append(alias)
            continue
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
            "%d declared key alias(es) belong to keys this collection did not create, which it never changes: %s. "
            "Rename the declared keys, or set adopt=true to take these keys over."
            % (len(conflicts), ", ".join(sorted(conflicts)[:20])))

    if prune:
        for alias, have in sorted(keys.items()):
            tag = tag_of(have)
            if alias in desired.keys or tag is None or tag.get("scope") != scope:
                continue
            actions.append(Action("key", "delete", alias, before=key_view(have)))
    return Plan(actions, unchanged, warnings)


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


def _apply_one(client, action):
    if action.kind == "team":
        return client.new_team(action.body) if action.op == "create" else client.update_team(action.body)
    if action.kind == "user":
        if action.op == "update":
            return client.update_user(action.body)
        body = dict(action.body, auto_create_key=False)
        try:
            return client.new_user(body)
        except ApiResponseError as exc:
            if exc.status == 409:  # created meanwhile: it exists, which is what was asked
                return None
            raise
    if action.op == "create":
        return client.generate_key(action.body)
    return client.update_key(action.body)


def apply_plan(plan, client):
    """Run the plan's writes in order; returns ``{alias: raw key}`` of the keys created."""
    done, created_keys = [], {}
    writes = [a for a in plan.actions if a.op != "delete"]
    deletes = [a for a in plan.actions if a.op == "delete"]
    for index, action in enumerate(writes):
        try:
            result = _apply_one(client, action)
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
