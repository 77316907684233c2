"""airgap.dify_platform.litellm_key_sync against a real LiteLLM proxy, run through ansible-playbook."""

import hashlib

import litellm_support as ls
from litellm_support import failed, key_pages, ok

# The shared fixtures (see litellm_support).
_fault_proxy, fault, litellm, run, uid = ls._fault_proxy, ls.fault, ls.litellm, ls.run, ls.uid

TAG = "airgap.dify_platform"


def sync_task(name, check_mode=None, **options):
    task = {"name": name, "airgap.dify_platform.litellm_key_sync": options, "register": "result", "no_log": False}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def declared(uid, budget=10):
    team, alice, bob = "it-team-" + uid, "it-alice-" + uid, "it-bob-" + uid
    return dict(
        teams=[{"team_id": team, "team_alias": "IT " + uid, "max_budget": 100, "budget_duration": "30d"}],
        users=[{"user_id": alice, "user_email": alice + "@example.test", "max_budget": 50},
               {"user_id": bob}],
        keys=[
            {"key_alias": alice + "-nb", "user_id": alice, "team_id": team, "models": ["gpt-test"],
             "max_budget": budget, "budget_duration": "30d", "rpm_limit": 60, "tpm_limit": 6000,
             "metadata": {"cost_center": "4711"}},
            {"key_alias": bob + "-nb", "user_id": bob, "team_id": team, "models": ["gpt-test", "embed-test"],
             "max_budget": budget, "duration": "90d"},
        ],
        scope="it-" + uid,
    )


def test_sync_create_noop_and_check_mode(litellm, run, fault, uid):
    options = declared(uid)
    team, alice, bob = "it-team-" + uid, "it-alice-" + uid, "it-bob-" + uid

    # Check mode tells the truth and changes nothing.
    result = ok(run([sync_task("check", check_mode=True, **options)]), "check")
    assert result["changed"] is True and result["created_keys"] == {}
    assert result["summary"]["created"] == {"teams": 1, "users": 2, "keys": 2}
    assert [(a["op"], a["kind"]) for a in result["actions"]] == [
        ("create", "team"), ("create", "user"), ("create", "user"), ("create", "key"), ("create", "key")]
    assert set(result["diff"]["after"]["keys"]) == {alice + "-nb", bob + "-nb"}
    pages = key_pages(litellm)
    assert [r.path.split("?")[0] for r in fault.requests()] == ["/key/list"] * pages + ["/user/list", "/v2/team/list"], \
        "check mode only reads: the key pages, the declared users that own no key, the teams"
    assert litellm.key(alice + "-nb") is None

    # Apply: everything created, the raw keys returned once.
    result = ok(run([sync_task("apply", **options)]), "apply")
    assert result["changed"] is True
    created = result["created_keys"]
    assert set(created) == {alice + "-nb", bob + "-nb"}
    key = litellm.key(alice + "-nb")
    assert key["token"] == hashlib.sha256(created[alice + "-nb"].encode()).hexdigest()
    assert (key["user_id"], key["team_id"], key["models"], key["max_budget"], key["budget_duration"],
            key["rpm_limit"], key["tpm_limit"]) == (alice, team, ["gpt-test"], 10.0, "30d", 60, 6000)
    assert key["metadata"] == {"cost_center": "4711", TAG: {"scope": "it-" + uid, "owner": "litellm_key_sync"}}
    assert litellm.key(bob + "-nb")["expires"] is not None
    status, info = litellm.api("GET", "/user/info?user_id=" + alice)
    assert status == 200 and info["user_info"]["max_budget"] == 50.0
    assert info["user_info"]["user_email"] == alice + "@example.test"
    status, teams = litellm.api("GET", "/v2/team/list?team_id=" + team)
    assert status == 200 and teams["teams"][0]["max_budget"] == 100.0

    # Second run: no change; the keys (with their users) and the teams are listed, nothing is read per item.
    fault.reset()
    result = ok(run([sync_task("again", **options)]), "again")
    assert result["changed"] is False and result["actions"] == [] and result["created_keys"] == {}
    assert result["summary"]["unchanged"] == {"teams": 1, "users": 2, "keys": 2}
    pages = key_pages(litellm)
    assert [r.path.split("?")[0] for r in fault.requests()] == ["/key/list"] * pages + ["/v2/team/list"]
    assert result["api_requests"] == pages + 1
    assert ok(run([sync_task("check again", check_mode=True, **options)]), "check again")["changed"] is False


def test_sync_updates_drift_and_merges_metadata(litellm, run, fault, uid):
    options = declared(uid)
    alice_key = "it-alice-" + uid + "-nb"
    ok(run([sync_task("create", **options)]), "create")

    # Drift made by hand: a budget changed, metadata extended.
    token = litellm.key(alice_key)["token"]
    drift = {"key": token, "max_budget": 999,
             "metadata": {"cost_center": "4711", "ticket": "OPS-7", TAG: {"scope": "it-" + uid, "owner": "litellm_key_sync"}}}
    status = litellm.api("POST", "/key/update", drift)[0]
    assert status == 200

    options["keys"][0]["metadata"] = {"cost_center": "0815"}
    fault.reset()
    result = ok(run([sync_task("fix drift", **options)]), "fix drift")
    assert result["changed"] is True
    assert result["actions"] == [{"op": "update", "kind": "key", "id": alice_key, "changes": ["max_budget", "metadata"]}]
    assert [r.path.split("?")[0] for r in fault.requests("POST")] == ["/key/update"]
    key = litellm.key(alice_key)
    assert key["max_budget"] == 10.0
    assert key["metadata"] == {"cost_center": "0815", "ticket": "OPS-7", TAG: {"scope": "it-" + uid, "owner": "litellm_key_sync"}}
    assert result["diff"]["before"]["keys"][alice_key]["max_budget"] == 999.0
    assert result["diff"]["after"]["keys"][alice_key]["max_budget"] == 10
    assert ok(run([sync_task("stable", **options)]), "stable")["changed"] is False


def test_prune_deletes_only_keys_this_collection_made_in_this_scope(litellm, run, uid):
    scope = "it-prune-" + uid
    mine = [{"key_alias": "it-p%d-%s" % (i, uid), "max_budget": 1} for i in range(3)]
    ok(run([sync_task("create", keys=mine, scope=scope)]), "create")
    ok(run([sync_task("other scope", keys=[{"key_alias": "it-po-" + uid}], scope="it-other-" + uid)]), "other scope")
    status = litellm.api("POST", "/key/generate", {"key_alias": "it-hand-" + uid})[0]
    assert status == 200

    # Dropped from the list but prune off: nothing deleted.
    result = ok(run([sync_task("no prune", keys=mine[:1], scope=scope)]), "no prune")
    assert result["changed"] is False and litellm.key(mine[2]["key_alias"]) is not None

    # Prune in check mode: reported, not done.
    result = ok(run([sync_task("check prune", check_mode=True, keys=mine[:1], scope=scope, prune=True)]), "check prune")
    assert result["changed"] is True and result["summary"]["deleted"]["keys"] == 2
    assert litellm.key(mine[2]["key_alias"]) is not None

    result = ok(run([sync_task("prune", keys=mine[:1], scope=scope, prune=True)]), "prune")
    assert sorted(a["id"] for a in result["actions"]) == sorted(k["key_alias"] for k in mine[1:])
    assert litellm.key(mine[1]["key_alias"]) is None and litellm.key(mine[2]["key_alias"]) is None
    assert litellm.key(mine[0]["key_alias"]) is not None
    assert litellm.key("it-po-" + uid) is not None, "another scope's key must stay"
    assert litellm.key("it-hand-" + uid) is not None, "a key made by hand must stay"
    assert ok(run([sync_task("prune again", keys=mine[:1], scope=scope, prune=True)]), "prune again")["changed"] is False


def test_a_foreign_alias_fails_before_any_write(litellm, run, fault, uid):
    status = litellm.api("POST", "/key/generate", {"key_alias": "it-foreign-" + uid, "max_budget": 2})[0]
    assert status == 200
    keys = [{"key_alias": "it-fresh-" + uid}, {"key_alias": "it-foreign-" + uid, "max_budget": 5}]
    fault.reset()
    result = failed(run([sync_task("refused", keys=keys, scope="it-" + uid)]), "refused")
    assert "it-foreign-" + uid in result["msg"] and "adopt" in result["msg"]
    assert fault.requests("POST") == [], "no write may happen"
    assert litellm.key("it-fresh-" + uid) is None and litellm.key("it-foreign-" + uid)["max_budget"] == 2.0

    result = ok(run([sync_task("adopt", keys=keys, scope="it-" + uid, adopt=True)]), "adopt")
    assert result["summary"]["created"]["keys"] == 1 and result["summary"]["updated"]["keys"] == 1
    assert litellm.key("it-foreign-" + uid)["metadata"][TAG] == {"scope": "it-" + uid, "owner": "litellm_key_sync"}


def test_groups_give_each_member_a_key_with_the_group_budget(litellm, run, uid):
    scope, group = "it-groups-" + uid, "ds-" + uid
    members = ["it-m%d-%s" % (i, uid) for i in range(3)]
    groups = [{"name": group, "members": members, "max_budget": 20, "budget_duration": "30d", "models": ["gpt-test"]}]
    result = ok(run([sync_task("groups", groups=groups, scope=scope)]), "groups")
    assert result["summary"]["created"] == {"teams": 0, "users": 3, "keys": 3}
    key = litellm.key("%s-%s" % (group, members[0]))
    assert (key["user_id"], key["max_budget"], key["models"]) == (members[0], 20.0, ["gpt-test"])
    assert key["metadata"][TAG] == {"scope": scope, "owner": "litellm_key_sync", "group": group}

    # A member leaves the group: its key goes with prune.
    groups[0]["members"] = members[:2]
    result = ok(run([sync_task("member left", groups=groups, scope=scope, prune=True)]), "member left")
    assert result["actions"] == [{"op": "delete", "kind": "key", "id": "%s-%s" % (group, members[2]), "changes": []}]
    assert litellm.key("%s-%s" % (group, members[2])) is None


def test_a_server_error_mid_sync_reports_progress_and_a_rerun_finishes(litellm, run, fault, uid):
    scope = "it-fault-" + uid
    # A key that a complete run would prune, to show that nothing is deleted when a run stops early.
    ok(run([sync_task("seed", keys=[{"key_alias": "it-stale-" + uid}], scope=scope)]), "seed")
    keys = [{"key_alias": "it-f%d-%s" % (i, uid), "max_budget": 1} for i in range(5)]

    fault.reset()
    fault.fail("POST", "/key/generate", after=2, status=500)  # every generate after the second fails
    play = run([sync_task("broken", keys=keys, scope=scope, prune=True, retries=1)])
    result = failed(play, "broken")
    assert result["changed"] is True, "two keys were created before the failure (issue 17, item 5)"
    assert "stopped at 'create key it-f2-%s'" % uid in result["msg"]
    assert "Done (2)" in result["msg"] and "Not done (4" in result["msg"] and "Nothing was deleted" in result["msg"]
    assert result["done"] == ["create key it-f0-%s" % uid, "create key it-f1-%s" % uid]
    assert result["failed_action"] == "create key it-f2-%s" % uid
    assert result["remaining"] == ["create key it-f3-%s" % uid, "create key it-f4-%s" % uid,
                                   "delete key it-stale-%s" % uid]
    assert set(result["created_keys"]) == {"it-f0-" + uid, "it-f1-" + uid}
    injected = [r for r in fault.requests("POST", "/key/generate") if r.injected]
    assert len(injected) == 1, "a create is sent once, never retried (issue 17, item 6); then the run stops"
    assert litellm.key("it-stale-" + uid) is not None, "nothing may be deleted"
    assert litellm.key("it-f2-" + uid) is None and litellm.key("it-f1-" + uid) is not None

    fault.reset()
    result = ok(run([sync_task("rerun", keys=keys, scope=scope, prune=True)]), "rerun")
    assert set(result["created_keys"]) == {"it-f%d-%s" % (i, uid) for i in (2, 3, 4)}
    assert result["summary"]["deleted"]["keys"] == 1 and result["summary"]["unchanged"]["keys"] == 2
    assert litellm.key("it-stale-" + uid) is None
    assert all(litellm.key(k["key_alias"]) is not None for k in keys)


def test_a_transient_server_error_is_retried(litellm, run, fault, uid):
    fault.fail("GET", "/key/list", times=1, status=503)
    result = ok(run([sync_task("retried", keys=[{"key_alias": "it-retry-" + uid}], scope="it-" + uid)]), "retried")
    assert result["changed"] is True
    statuses = [r.status for r in fault.requests("GET", "/key/list")]
    assert statuses[:2] == [503, 200]
    assert result["api_requests"] == len(fault.requests())
    assert litellm.key("it-retry-" + uid) is not None


def test_invalid_input_is_refused_before_any_request(run, fault, uid):
    keys = [{"key_alias": "it-dup-" + uid}, {"key_alias": "it-dup-" + uid}]
    result = failed(run([sync_task("duplicate", keys=keys)]), "duplicate")
    assert "declared more than once" in result["msg"]
    result = failed(run([sync_task("reserved", keys=[{"key_alias": "it-r-" + uid, "metadata": {TAG: {}}}])]), "reserved")
    assert "reserved" in result["msg"]
    assert fault.requests() == []
