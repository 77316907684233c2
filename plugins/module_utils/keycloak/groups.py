# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Group members, read from the Keycloak admin API: one group lookup by path, then the members page by page.

Read-only: check mode runs the same requests. A group is found by its path
(``GET /admin/realms/{realm}/group-by-path/{path}``), a plain name being the path of a
top-level group; its direct members come from ``GET .../groups/{id}/members`` in pages
of ``PAGE_SIZE`` (``first``/``max``, briefRepresentation). Both endpoints are in
Keycloak's admin REST API (keycloak/keycloak, services/src/main/java/org/keycloak/
services/resources/admin/GroupsResource.java and GroupResource.java, ``getMembers``;
RealmAdminResource.java ``getGroupByPath``) at the 26.x the collection is tested with.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import admin_path

PAGE_SIZE = 100
IDENTITIES = ("username", "email", "id")


class GroupNotFound(PlatformError):
    """A declared group does not exist in the realm."""

    def __init__(self, realm, path):
        self.realm = realm
        self.path = path
        super(GroupNotFound, self).__init__(
            "group %s does not exist in realm %s; create it, fix the name, or set missing=empty" % (path, realm))


def group_path(name):
    """``/a/b`` for ``a/b`` or ``/a/b``; a plain name is a top-level group. Empty segments are refused."""
    parts = str(name or "").strip("/").split("/")
    if not name or any(not part for part in parts):
        raise ValidationError("group %r is not a group name or path such as team or /parent/team" % (name,))
    return "/" + "/".join(parts), parts


def member_identity(user, identity):
    """The value of ``identity`` (username, email or id) of a user representation; None when it has none."""
    value = user.get(identity)
    if identity in ("username", "email") and value:
        return value.lower()  # Keycloak stores both lower-cased; a realm imported otherwise still compares equal
    return value or None


class GroupMembers:
    """The members of groups of one realm, over a logged-in :class:`client.KeycloakAdmin`."""

    def __init__(self, api, realm):
        self.api = api
        self.realm = realm

    def find(self, name):
        """The group representation for ``name``, or None."""
        path, parts = group_path(name)
        group = self.api.get(admin_path(self.realm, "group-by-path", *parts))
        if group is not None and group.get("path") not in (None, path):
            return None  # an older server that matched loosely
        return group

    def members(self, group_id):
        """Every direct member of the group, page by page (``PAGE_SIZE`` per request)."""
        users = []
        first = 0
        while True:
            page = self.api.get(admin_path(self.realm, "groups", group_id, "members"),
                                query={"first": first, "max": PAGE_SIZE, "briefRepresentation": "true"}) or []
            users.extend(page)
            if len(page) < PAGE_SIZE:
                return users
            first += PAGE_SIZE

    def read(self, names, identity="username", enabled_only=True, missing="fail"):
        """``[{name, path, id, exists, members}]`` for each of ``names``, in order, members sorted.

        ``missing='fail'`` raises :class:`GroupNotFound` for a group that does not exist;
        ``'empty'`` returns it with no members and ``exists: false``.
        """
        if identity not in IDENTITIES:
            raise ValidationError("identity must be one of %s, got %r" % (", ".join(IDENTITIES), identity))
        seen = set()
        result = []
        for name in names:
            path, _parts = group_path(name)
            if path in seen:
                raise ValidationError("group %s is listed more than once" % path)
            seen.add(path)
            group = self.find(name)
            if group is None:
                if missing == "fail":
                    raise GroupNotFound(self.realm, path)
                result.append(dict(name=name, path=path, id=None, exists=False, members=[], skipped=[]))
                continue
            members, skipped = [], []
            for user in self.members(group["id"]):
                value = member_identity(user, identity)
                if (enabled_only and user.get("enabled") is False) or value is None:
                    skipped.append(user.get("username"))
                else:
                    members.append(value)
            result.append(dict(name=name, path=path, id=group["id"], exists=True,
                               members=sorted(set(members)), skipped=sorted(s for s in skipped if s)))
        return result
