"""module_utils/keycloak/groups.py: group paths, paging, identities, disabled users, missing groups.

Against a small in-memory admin API with Keycloak's URL layout (the real one is in
tests/integration/portal/test_portal_users.py).
"""

import urllib.parse

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak import groups as g


class Admin:
    """``get(path, query)`` as KeycloakAdmin answers it: a document, or None for 404."""

    def __init__(self, groups):
        self.groups = groups  # path -> (id, [users])
        self.requests = []

    def get(self, path, query=None):
        self.requests.append((path, dict(query or {})))
        prefix = "/admin/realms/r/group-by-path/"
        if path.startswith(prefix):
            wanted = "/" + urllib.parse.unquote(path[len(prefix):])
            found = self.groups.get(wanted)
            return {"id": found[0], "path": wanted} if found else None
        for gid, users in self.groups.values():
            if path == "/admin/realms/r/groups/%s/members" % gid:
                return users[query["first"]:query["first"] + query["max"]]
        return None


def user(name, enabled=True, email=True):
    return {"id": "id-" + name, "username": name, "enabled": enabled,
            "email": ("%s@Example.TEST" % name) if email else None}


def test_members_are_read_page_by_page_until_a_short_page():
    people = [user("u%03d" % n) for n in range(g.PAGE_SIZE * 2 + 5)]
    api = Admin({"/team": ("t1", people)})
    result = g.GroupMembers(api, "r").read(["team"])
    assert result[0]["members"] == sorted(p["username"] for p in people)
    pages = [q["first"] for path, q in api.requests if path.endswith("/members")]
    assert pages == [0, 100, 200]


def test_an_exact_multiple_of_the_page_costs_one_empty_page_more():
    api = Admin({"/team": ("t1", [user("u%03d" % n) for n in range(g.PAGE_SIZE)])})
    g.GroupMembers(api, "r").read(["team"])
    assert [q["first"] for path, q in api.requests if path.endswith("/members")] == [0, 100]


def test_a_subgroup_path_is_encoded_segment_by_segment():
    api = Admin({"/org/ai users": ("t2", [user("a")])})
    result = g.GroupMembers(api, "r").read(["/org/ai users"])
    assert result[0]["path"] == "/org/ai users" and result[0]["members"] == ["a"]
    assert api.requests[0][0] == "/admin/realms/r/group-by-path/org/ai%20users"


def test_identity_email_lower_cased_disabled_and_mailless_people_skipped():
    api = Admin({"/team": ("t1", [user("a"), user("b", enabled=False), user("c", email=False)])})
    result = g.GroupMembers(api, "r").read(["team"], identity="email")[0]
    assert result["members"] == ["a@example.test"]
    assert result["skipped"] == ["b", "c"]
    everyone = g.GroupMembers(api, "r").read(["team"], enabled_only=False)[0]
    assert everyone["members"] == ["a", "b", "c"]


def test_a_missing_group_fails_or_is_empty_as_asked():
    api = Admin({})
    with pytest.raises(g.GroupNotFound, match="group /nope does not exist in realm r"):
        g.GroupMembers(api, "r").read(["nope"])
    assert g.GroupMembers(api, "r").read(["nope"], missing="empty") == [
        {"name": "nope", "path": "/nope", "id": None, "exists": False, "members": [], "skipped": []}]


@pytest.mark.parametrize("bad", ["", "/", "a//b", None])
def test_bad_group_names_are_refused_before_any_request(bad):
    api = Admin({})
    with pytest.raises(ValidationError):
        g.GroupMembers(api, "r").read([bad])
    assert api.requests == []


def test_a_group_listed_twice_is_refused():
    with pytest.raises(ValidationError, match="listed more than once"):
        g.GroupMembers(Admin({"/a": ("1", [])}), "r").read(["a", "/a"])
