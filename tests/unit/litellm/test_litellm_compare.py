"""The LiteLLM compare logic: only declared fields count, metadata merges, the tag decides ownership."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    TAG,
    compare_entity,
    compare_key,
    field_changes,
    hash_key,
    key_value_differs,
    merge_metadata,
    normalize,
    tag_of,
    view_after,
    wanted_tag,
)

# A key as /key/list?return_full_object=true answers it (LiteLLM 1.104.5), trimmed.
SERVER_KEY = {
    "token": "86821eeb6c6ff79e970a3544c263385568d91b061de3f7c04503c01a89c16e74",
    "key_alias": "alice",
    "user_id": "alice",
    "team_id": "research",
    "models": ["gpt-test-mini", "gpt-test"],
    "max_budget": 10.0,
    "budget_duration": "30d",
    "tpm_limit": 1000,
    "rpm_limit": 10,
    "max_parallel_requests": None,
    "metadata": {"owner": "ds", "set_by_someone_else": True, TAG: {"scope": "default", "duration": "90d"}},
    "expires": "2027-02-19T00:00:00Z",
    "spend": 1.25,
}


def declared(**fields):
    key = {"key_alias": "alice", "key": None, "duration": None, "metadata": None}
    key.update(fields)
    return key


def test_normalize_compares_models_as_sets_and_numbers_by_value():
    assert normalize("models", ["b", "a", "b"]) == ["a", "b"]
    assert normalize("max_budget", 10) == normalize("max_budget", 10.0)
    assert normalize("rpm_limit", "10") == 10
    assert normalize("budget_duration", "30d") == "30d"
    assert normalize("max_budget", None) is None


def test_only_declared_fields_are_compared():
    assert field_changes({"max_budget": None, "models": None}, SERVER_KEY, ("max_budget", "models")) == {}
    assert field_changes({"models": ["gpt-test", "gpt-test-mini"]}, SERVER_KEY, ("models",)) == {}
    changes = field_changes({"max_budget": 20, "rpm_limit": 10}, SERVER_KEY, ("max_budget", "rpm_limit"))
    assert changes == {"max_budget": {"before": 10.0, "after": 20}}


def test_an_empty_model_list_is_a_declaration_not_an_absence():
    assert field_changes({"models": []}, SERVER_KEY, ("models",)) == {
        "models": {"before": ["gpt-test-mini", "gpt-test"], "after": []}}


def test_merge_metadata_lays_declared_keys_over_current_ones():
    current = {"a": 1, "b": {"x": 1}, "keep": True}
    merged = merge_metadata(current, {"a": 2, "b": {"y": 2}, "new": "v"})
    assert merged == {"a": 2, "b": {"y": 2}, "keep": True, "new": "v"}
    assert current == {"a": 1, "b": {"x": 1}, "keep": True}, "the current metadata must not be modified"


def test_merge_metadata_removes_keys_declared_null_and_sets_the_tag():
    merged = merge_metadata({"a": 1, "b": 2}, {"b": None, "missing": None}, tag={"scope": "s"})
    assert merged == {"a": 1, TAG: {"scope": "s"}}


def test_merge_metadata_keeps_the_tag_unless_told():
    assert merge_metadata({TAG: {"scope": "x"}}, {"a": 1}) == {"a": 1, TAG: {"scope": "x"}}


def test_wanted_tag_keeps_unknown_entries_and_the_last_applied_duration():
    tag = wanted_tag({"scope": "old", "duration": "30d", "group": "g", "future": 1}, "new")
    assert tag == {"scope": "new", "duration": "30d", "future": 1}
    assert wanted_tag(None, "s", duration="90d", group="g") == {"scope": "s", "duration": "90d", "group": "g"}


def test_a_new_key_is_created_tagged_with_its_declared_fields_only():
    op, body, changes = compare_key(declared(models=["gpt-test"], max_budget=5, duration="90d",
                                             metadata={"owner": "ds"}, key="sk-chosen"), None, "default")
    assert op == "create"
    assert body == {
        "key_alias": "alice",
        "models": ["gpt-test"],
        "max_budget": 5,
        "duration": "90d",
        "key": "sk-chosen",
        "metadata": {"owner": "ds", TAG: {"scope": "default", "owner": "litellm_key_sync", "duration": "90d"}},
    }
    assert "key" not in changes and "metadata" in changes


def test_a_key_that_matches_is_left_alone():
    spec = declared(user_id="alice", team_id="research", models=["gpt-test", "gpt-test-mini"], max_budget=10,
                    budget_duration="30d", tpm_limit=1000, rpm_limit=10, duration="90d", metadata={"owner": "ds"})
    assert compare_key(spec, SERVER_KEY, "default") == ("none", None, [])


def test_drift_sends_only_the_drifted_fields():
    op, body, changes = compare_key(declared(max_budget=20, rpm_limit=10), SERVER_KEY, "default")
    assert op == "update"
    assert body == {"max_budget": 20}
    assert changes == ["max_budget"]


def test_metadata_drift_sends_the_merged_metadata_with_foreign_entries_kept():
    op, body, changes = compare_key(declared(metadata={"owner": "platform"}), SERVER_KEY, "default")
    assert op == "update" and changes == ["metadata"]
    assert body["metadata"] == {"owner": "platform", "set_by_someone_else": True,
                                TAG: {"scope": "default", "duration": "90d"}}


def test_a_changed_duration_is_applied_again_and_remembered():
    op, body, changes = compare_key(declared(duration="30d"), SERVER_KEY, "default")
    assert op == "update"
    assert body["duration"] == "30d"
    assert body["metadata"][TAG] == {"scope": "default", "duration": "30d"}
    assert changes == ["duration", "metadata"]


def test_an_undeclared_duration_never_touches_the_expiry():
    assert compare_key(declared(), SERVER_KEY, "default") == ("none", None, [])
    op, body = compare_key(declared(), dict(SERVER_KEY, metadata={TAG: {"scope": "other"}}), "default",
                           adopt=True)[:2]
    assert op == "update" and "duration" not in body
    assert body["metadata"][TAG] == {"scope": "default", "owner": "litellm_key_sync"}


def test_a_key_of_another_scope_or_module_is_a_conflict_unless_adopted():
    # Issue 17, item 8: two scopes used to rewrite each other's tag on every run.
    other_scope = dict(SERVER_KEY, metadata={TAG: {"scope": "team-a", "owner": "litellm_key_sync"}})
    assert compare_key(declared(), other_scope, "team-b") == ("conflict", None, [])
    assert compare_key(declared(), other_scope, "team-a")[0] == "none"
    # litellm_key cannot take a sync's key, nor the sync a litellm_key one, even in the same scope.
    assert compare_key(declared(), other_scope, "team-a", owner="litellm_key") == ("conflict", None, [])
    single = dict(SERVER_KEY, metadata={TAG: {"scope": "default", "owner": "litellm_key"}})
    assert compare_key(declared(), single, "default") == ("conflict", None, [])
    assert compare_key(declared(), single, "default", owner="litellm_key")[0] == "none"
    # A tag written before the owner was recorded belongs to its scope in either module, and is not rewritten.
    assert compare_key(declared(), SERVER_KEY, "default", owner="litellm_key")[0] == "none"
    op, body = compare_key(declared(), other_scope, "team-b", adopt=True)[:2]
    assert op == "update" and body["metadata"][TAG] == {"scope": "team-b", "owner": "litellm_key_sync"}


def test_an_unmanaged_key_is_a_conflict_unless_adopted():
    foreign = dict(SERVER_KEY, metadata={"owner": "someone"})
    assert compare_key(declared(max_budget=20), foreign, "default") == ("conflict", None, [])
    op, body = compare_key(declared(max_budget=10), foreign, "default", adopt=True)[:2]
    assert op == "update"
    assert body == {"metadata": {"owner": "someone", TAG: {"scope": "default", "owner": "litellm_key_sync"}}}


def test_scope_and_group_are_part_of_the_tag():
    op, body = compare_key(declared(duration="90d"), SERVER_KEY, "default", group="ds")[:2]
    assert op == "update"
    assert body["metadata"][TAG] == {"scope": "default", "duration": "90d", "group": "ds"}


def test_tag_of_reads_only_a_dict_tag():
    assert tag_of(SERVER_KEY) == {"scope": "default", "duration": "90d"}
    assert tag_of({"metadata": {TAG: "forged"}}) is None
    assert tag_of({"metadata": None}) is None
    assert tag_of(None) is None


def test_a_declared_raw_key_is_compared_by_hash():
    raw = "sk-custom-abcdef123456"
    assert hash_key(raw) == "615db18d8492e33a9b2bef4c8929591306be5da544728c2147e19400ee76e5dd"
    assert not key_value_differs(declared(key=raw), {"token": hash_key(raw)})
    assert key_value_differs(declared(key="sk-other"), {"token": hash_key(raw)})
    assert not key_value_differs(declared(key=raw), None)


@pytest.mark.parametrize("current, expected_op", [
    (None, "create"),
    ({"user_id": "bob", "max_budget": 5.0, "models": [], "metadata": {"x": 1}}, "none"),
    ({"user_id": "bob", "max_budget": 6.0, "models": [], "metadata": {"x": 1}}, "update"),
])
def test_users_and_teams(current, expected_op):
    spec = {"user_id": "bob", "max_budget": 5, "models": None, "metadata": {"x": 1}}
    op, body = compare_entity(spec, current, "user_id", ("max_budget", "models"))[:2]
    assert op == expected_op
    if op == "update":
        assert body == {"user_id": "bob", "max_budget": 5}
    if op == "create":
        assert body == {"user_id": "bob", "max_budget": 5, "metadata": {"x": 1}}


def test_entity_metadata_merges_too():
    current = {"team_id": "t", "metadata": {"a": 1}}
    op, body, changes = compare_entity({"team_id": "t", "metadata": {"b": 2}}, current, "team_id", ())
    assert (op, changes) == ("update", ["metadata"])
    assert body == {"team_id": "t", "metadata": {"a": 1, "b": 2}}


def test_view_after_never_carries_secrets():
    after = view_after({"key_alias": "a", "max_budget": 1}, {"max_budget": 2, "key": "sk-x", "token": "h", "duration": "1d"})
    assert after == {"key_alias": "a", "max_budget": 2}
