# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module parameters to the desired state: teams, users and keys, groups expanded.

Pure and checked before any request is sent: duplicate identities, the
collection's reserved metadata key, and key alias formats are refused with a
``ValidationError`` that names the offending entries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    KEY_FIELDS,
    TAG,
    TEAM_FIELDS,
    USER_FIELDS,
)


class DesiredKey(dict):
    """A declared key (a dict of the key options) that remembers the group it came from."""

    group = None


class Desired:
    def __init__(self):
        self.teams = {}
        self.users = {}
        self.keys = {}


def _clean(item, fields):
    return dict((field, item.get(field)) for field in fields)


def _check_metadata(kind, ident, metadata):
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError("%s %r: metadata must be a mapping" % (kind, ident))
    if metadata and TAG in metadata:
        raise ValidationError("%s %r: the metadata key %r is reserved for this collection's own tag"
                              % (kind, ident, TAG))


def _add(table, kind, ident, value):
    if not ident:
        raise ValidationError("every %s needs a non-empty identity" % kind)
    if ident in table:
        raise ValidationError("%s %r is declared more than once" % (kind, ident))
    table[ident] = value


def key_alias_for(template, group, user):
    if "{user}" not in template:
        raise ValidationError("group %r: key_alias_format %r must contain {user}, or every member would "
                              "get the same key alias" % (group, template))
    try:
        alias = template.format(group=group, user=user)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError("group %r: key_alias_format %r is not valid: only {group} and {user} are "
                              "available (%s)" % (group, template, exc)) from exc
    return alias


def build_desired(teams=None, users=None, keys=None, groups=None):
    """Validate the declared lists and return a :class:`Desired`."""
    desired = Desired()
    for team in teams or []:
        _check_metadata("team", team.get("team_id"), team.get("metadata"))
        _add(desired.teams, "team", team.get("team_id"),
             dict(_clean(team, TEAM_FIELDS), team_id=team.get("team_id"), metadata=team.get("metadata")))
    for user in users or []:
        _check_metadata("user", user.get("user_id"), user.get("metadata"))
        _add(desired.users, "user", user.get("user_id"),
             dict(_clean(user, USER_FIELDS), user_id=user.get("user_id"), metadata=user.get("metadata")))
    for key in keys or []:
        _check_metadata("key", key.get("key_alias"), key.get("metadata"))
        item = DesiredKey(_clean(key, KEY_FIELDS))
        item.update(key_alias=key.get("key_alias"), key=key.get("key"), duration=key.get("duration"),
                    metadata=key.get("metadata"))
        _add(desired.keys, "key", key.get("key_alias"), item)
    for group in groups or []:
        name = group.get("name")
        if not name:
            raise ValidationError("every group needs a name")
        _check_metadata("group", name, group.get("metadata"))
        template = group.get("key_alias_format") or "{group}-{user}"
        seen = set()
        for member in group.get("members") or []:
            if not member or member in seen:
                continue
            seen.add(member)
            if group.get("create_users", True) and member not in desired.users:
                desired.users[member] = {"user_id": member}
            item = DesiredKey((field, group.get(field)) for field in KEY_FIELDS if field != "user_id")
            item.update(key_alias=key_alias_for(template, name, member), user_id=member,
                        duration=group.get("duration"), metadata=group.get("metadata"), key=None)
            item.group = name
            alias = item["key_alias"]
            if alias in desired.keys:
                raise ValidationError("key %r is declared more than once (group %r, member %r)" % (alias, name, member))
            desired.keys[alias] = item
    return desired
