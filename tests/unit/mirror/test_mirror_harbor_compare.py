"""Harbor compare and normalise logic (plugins/module_utils/harbor/compare.py)."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor import compare


def test_only_declared_metadata_is_compared():
    desired = compare.desired_project_metadata({"public": False, "auto_scan": None, "severity": None})
    assert desired == {"public": "false"}
    current = compare.current_project_metadata({"metadata": {"public": "false", "auto_scan": "true"}})
    assert compare.metadata_changes(desired, current) == ([], {}, {})
    keys, before, after = compare.metadata_changes({"public": "true", "severity": "high"}, current)
    assert keys == ["public", "severity"]
    assert before == {"public": "false", "severity": None} and after == {"public": "true", "severity": "high"}


def test_missing_public_means_private():
    assert compare.current_project_metadata({"metadata": {}})["public"] == "false"
    assert compare.current_project_metadata({"metadata": {"public": True}})["public"] == "true"


def test_permissions_compare_as_sets():
    a = compare.desired_permissions([{"project": "p", "access": ["push", "pull", "repository:pull"]}], "system")
    assert a == [{"kind": "project", "namespace": "p", "access": [
        {"resource": "repository", "action": "pull", "effect": "allow"},
        {"resource": "repository", "action": "push", "effect": "allow"}]}]
    harbor_form = [{"kind": "project", "namespace": "p", "access": [
        {"resource": "repository", "action": "push"}, {"resource": "repository", "action": "pull", "effect": "allow"}]}]
    desired = {"name": "r", "permissions": a}
    assert compare.robot_changes(desired, {"permissions": harbor_form})[0] == []
    keys, before, after = compare.robot_changes(dict(desired, disable=True, duration=30),
                                                {"permissions": harbor_form[:0], "disable": False, "duration": -1})
    assert keys == ["duration", "disable", "permissions"]
    assert before["permissions"] == {} and after["permissions"] == {"p": ["repository:pull", "repository:push"]}


@pytest.mark.parametrize("perms, level, message", [
    ([], "system", "at least one"),
    ([{"project": "p", "access": []}], "system", "has no access"),
    ([{"project": "p", "access": ["a:b:c"]}], "system", "ACTION or RESOURCE:ACTION"),
    ([{"project": "p", "access": ["pull"]}, {"project": "p", "access": ["push"]}], "system", "listed twice"),
    ([{"project": "p", "access": ["pull"]}, {"project": "q", "access": ["pull"]}], "project", "exactly one project"),
    ([{"project": "*", "access": ["pull"]}], "project", "exactly one project"),
])
def test_bad_permissions(perms, level, message):
    with pytest.raises(ValidationError, match=message):
        compare.desired_permissions(perms, level)


def test_stored_robot_names():
    perms = compare.desired_permissions([{"project": "p", "access": ["pull"]}], "project")
    assert compare.stored_robot_name("r", "project", perms) == "p+r"
    assert compare.stored_robot_name("r", "system", None) == "r"


def test_robot_view_never_holds_the_secret():
    view = compare.robot_view({"id": 1, "name": "robot$r", "secret": "S3cret-value", "permissions": []})
    assert "secret" not in view and "S3cret-value" not in repr(view)
