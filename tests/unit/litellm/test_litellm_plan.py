"""Desired state and the sync plan: validation, ordering, pruning rules, no-op at scale, the failure report."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import TAG
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.desired import build_desired
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import SyncError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.sync import plan_sync


def key(alias, **fields):
    item = {"key_alias": alias, "key": None, "user_id": None, "team_id": None, "models": None, "max_budget": None,
            "budget_duration": None, "tpm_limit": None, "rpm_limit": None, "max_parallel_requests": None,
            "duration": None, "metadata": None}
    item.update(fields)
    return item


def server_key(alias, scope="default", **fields):
    item = {"token": "hash-" + alias, "key_alias": alias, "models": [], "max_budget": None,
            "metadata": {TAG: {"scope": scope}} if scope else {}}
    item.update(fields)
    return item


# --- desired state -------------------------------------------------------------------

def test_duplicate_identities_are_refused():
    with pytest.raises(ValidationError, match="key 'a' is declared more than once"):
        build_desired(keys=[key("a"), key("a")])
    with pytest.raises(ValidationError, match="user 'u' is declared more than once"):
        build_desired(users=[{"user_id": "u"}, {"user_id": "u"}])


def test_the_reserved_metadata_key_is_refused():
    with pytest.raises(ValidationError, match="reserved"):
        build_desired(keys=[key("a", metadata={TAG: {"scope": "forged"}})])


def test_groups_expand_to_a_user_and_a_key_per_member():
    desired = build_desired(groups=[{"name": "ds", "members": ["alice", "bob", "alice"], "max_budget": 20,
                                     "budget_duration": "30d", "models": ["gpt-test"], "team_id": "research",
                                     "key_alias_format": "{group}-{user}", "create_users": True}])
    assert sorted(desired.users) == ["alice", "bob"]
    assert sorted(desired.keys) == ["ds-alice", "ds-bob"]
    alice = desired.keys["ds-alice"]
    assert (alice["user_id"], alice["team_id"], alice["max_budget"], alice.group) == ("alice", "research", 20, "ds")


def test_a_group_key_alias_must_depend_on_the_member():
    with pytest.raises(ValidationError, match="must contain"):
        build_desired(groups=[{"name": "ds", "members": ["a", "b"], "key_alias_format": "{group}"}])
    with pytest.raises(ValidationError, match="not valid"):
        build_desired(groups=[{"name": "ds", "members": ["a"], "key_alias_format": "{team}-{user}"}])


def test_a_group_key_clashing_with_a_declared_key_is_refused():
    with pytest.raises(ValidationError, match="ds-alice"):
        build_desired(keys=[key("ds-alice")], groups=[{"name": "ds", "members": ["alice"]}])


# --- plan --------------------------------------------------------------------------------

def test_plan_orders_teams_users_keys_then_deletions():
    desired = build_desired(teams=[{"team_id": "t"}], users=[{"user_id": "u"}], keys=[key("k", team_id="t", user_id="u")])
    plan = plan_sync(desired, [], [], [server_key("old")], "default", prune=True)
    assert [a.label for a in plan.actions] == ["create team t", "create user u", "create key k", "delete key old"]
    assert plan.summary()["created"] == {"teams": 1, "users": 1, "keys": 1}
    assert plan.summary()["deleted"] == {"teams": 0, "users": 0, "keys": 1}


def test_prune_deletes_only_tagged_keys_of_the_same_scope():
    current = [server_key("ours"), server_key("other-scope", scope="elsewhere"), server_key("foreign", scope=None),
               server_key("declared")]
    desired = build_desired(keys=[key("declared")])
    assert [a.label for a in plan_sync(desired, [], [], current, "default", prune=True).actions] == ["delete key ours"]
    assert plan_sync(desired, [], [], current, "default", prune=False).actions == []


def test_a_key_of_another_scope_is_neither_taken_nor_pruned():
    # Issue 17, item 8: scope b declared a key of scope a, retagged it, and a prune in a deleted it.
    current = [server_key("shared", scope="a"), server_key("mine", scope="b")]
    with pytest.raises(ValidationError, match=r"scope 'b'.*shared \(owned by a module of this collection in scope 'a'\)"):
        plan_sync(build_desired(keys=[key("shared"), key("mine")]), [], [], current, "b", prune=True)
    plan = plan_sync(build_desired(keys=[key("mine")]), [], [], current, "b", prune=True)
    assert plan.actions == []
    single = [server_key("solo", scope="default", metadata={TAG: {"scope": "default", "owner": "litellm_key"}})]
    assert plan_sync(build_desired(keys=[]), [], [], single, "default", prune=True).actions == []


def test_declaring_a_foreign_alias_fails_before_anything_is_planned():
    current = [server_key("foreign", scope=None)]
    with pytest.raises(ValidationError, match=r"does not own.*foreign \(not created by this collection\)"):
        plan_sync(build_desired(keys=[key("foreign"), key("new")]), [], [], current, "default")
    plan = plan_sync(build_desired(keys=[key("foreign")]), [], [], current, "default", adopt=True)
    assert [a.label for a in plan.actions] == ["update key foreign"]
    assert plan.actions[0].body["key"] == "hash-foreign"


def test_a_no_op_at_scale_plans_nothing():
    declared = [key("k%04d" % i, user_id="u%04d" % i, max_budget=10, models=["gpt-test"]) for i in range(1000)]
    current = [server_key("k%04d" % i, user_id="u%04d" % i, max_budget=10.0, models=["gpt-test"]) for i in range(1000)]
    plan = plan_sync(build_desired(keys=declared), [], [], current, "default", prune=True)
    assert not plan.changed
    assert plan.summary()["unchanged"]["keys"] == 1000


def test_exactly_the_drifted_keys_are_updated():
    declared = [key("k%02d" % i, max_budget=10) for i in range(50)]
    current = [server_key("k%02d" % i, max_budget=10.0 if i % 5 else 99.0) for i in range(50)]
    plan = plan_sync(build_desired(keys=declared), [], [], current, "default")
    assert [a.ident for a in plan.actions] == ["k%02d" % i for i in range(0, 50, 5)]
    assert all(a.body == {"max_budget": 10, "key": "hash-" + a.ident} for a in plan.actions)


def test_diff_shows_only_changed_items_and_masks_key_values():
    desired = build_desired(keys=[key("new", key="sk-secret-value"), key("same")])
    plan = plan_sync(desired, [], [], [server_key("same")], "default")
    diff = plan.diff()
    assert list(diff["after"]["keys"]) == ["new"]
    assert "sk-secret-value" not in repr(diff)
    assert plan.actions[0].body["key"] == "sk-secret-value"


def test_sync_error_says_what_was_done_and_what_remains():
    error = SyncError("HTTP 500", ["create team t", "create key a"], "create key b", ["create key c", "delete key d"],
                      {"a": "sk-a"})
    message = str(error)
    assert "stopped at 'create key b'" in message
    assert "Done (2): create team t, create key a" in message
    assert "Not done (3, including the failed one): create key b, create key c, delete key d" in message
    assert "Nothing was deleted" in message
    assert error.created_keys == {"a": "sk-a"}


def test_sync_error_counts_deletions_already_done():
    error = SyncError("boom", ["delete key x", "delete key y"], "delete key z", [])
    assert "Keys deleted before the failure: 2" in str(error)
