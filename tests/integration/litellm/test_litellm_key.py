"""airgap.dify_platform.litellm_key against a real LiteLLM proxy, run through ansible-playbook."""

import hashlib

import litellm_support as ls
from helpers.playbook import run_tasks
from litellm_support import MASK, failed, ok

# The shared fixtures (see litellm_support).
_fault_proxy, fault, litellm, run, uid = ls._fault_proxy, ls.fault, ls.litellm, ls.run, ls.uid

TAG = "airgap.dify_platform"


def key_task(name, check_mode=None, no_log=None, **options):
    task = {"name": name, "airgap.dify_platform.litellm_key": options, "register": "result"}
    if check_mode is not None:
        task["check_mode"] = check_mode
    if no_log is not None:
        task["no_log"] = no_log
    return task


def test_key_lifecycle(litellm, run, fault, uid):
    alias = "it-key-" + uid
    options = dict(key_alias=alias, models=["gpt-test", "gpt-test-mini"], max_budget=5, budget_duration="30d",
                   rpm_limit=10, tpm_limit=1000, metadata={"owner": "it"})

    # Check mode: reports the creation, creates nothing.
    result = ok(run([key_task("check", check_mode=True, **options)]), "check")
    assert result["changed"] is True and result["existing"] is None
    assert result["end_state"]["max_budget"] == 5 and "key" not in result
    assert result["diff"]["before"] == {} and result["diff"]["after"]["models"] == ["gpt-test", "gpt-test-mini"]
    assert litellm.key(alias) is None

    # Create: the raw key comes back once and works as a hash of what LiteLLM stores.
    result = ok(run([key_task("create", **options)]), "create")
    raw = result["key"]
    assert result["changed"] is True and raw.startswith("sk-")
    server = litellm.key(alias)
    assert server["token"] == hashlib.sha256(raw.encode()).hexdigest()
    assert sorted(server["models"]) == ["gpt-test", "gpt-test-mini"]
    assert (server["max_budget"], server["budget_duration"], server["rpm_limit"], server["tpm_limit"]) == (5.0, "30d", 10, 1000)
    assert server["metadata"] == {"owner": "it", TAG: {"scope": "default", "owner": "litellm_key"}}
    assert result["end_state"]["metadata"] == server["metadata"]

    # No-op: one request (the lookup by alias), no change, models in another order still equal.
    fault.reset()
    reordered = dict(options)
    reordered["models"] = ["gpt-test-mini", "gpt-test"]
    result = ok(run([key_task("again", **reordered)]), "again")
    assert result["changed"] is False and "diff" not in result
    assert [(r.method, r.path.split("?")[0]) for r in fault.requests()] == [("GET", "/key/list")]

    # Someone adds metadata by hand; a declared change merges with it instead of wiping it.
    status = litellm.api("POST", "/key/update", {"key": server["token"],
                                                 "metadata": dict(server["metadata"], ticket="OPS-1")})[0]
    assert status == 200
    changed = dict(options)
    changed.update(max_budget=7.5, metadata={"owner": "platform"})
    result = ok(run([key_task("update", **changed)]), "update")
    assert result["changed"] is True
    server = litellm.key(alias)
    assert server["max_budget"] == 7.5
    assert server["metadata"] == {"owner": "platform", "ticket": "OPS-1", TAG: {"scope": "default", "owner": "litellm_key"}}
    assert result["diff"]["before"]["max_budget"] == 5.0 and result["diff"]["after"]["max_budget"] == 7.5

    # A metadata key set to null is removed.
    result = ok(run([key_task("remove ticket", key_alias=alias, metadata={"ticket": None})]), "remove ticket")
    assert result["changed"] is True and "ticket" not in litellm.key(alias)["metadata"]

    # Absent, in check mode, then for real, then again.
    result = ok(run([key_task("check absent", check_mode=True, key_alias=alias, state="absent")]), "check absent")
    assert result["changed"] is True and litellm.key(alias) is not None
    result = ok(run([key_task("absent", key_alias=alias, state="absent")]), "absent")
    assert result["changed"] is True and result["end_state"] is None
    assert litellm.key(alias) is None
    assert ok(run([key_task("absent again", key_alias=alias, state="absent")]), "absent again")["changed"] is False


def test_a_chosen_raw_key_is_used_and_never_shown(litellm, run, uid):
    alias, raw = "it-chosen-" + uid, "sk-it-chosen-" + uid + "-0123456789abcdef"
    play = run([key_task("create", key_alias=alias, key=raw, max_budget=1)])
    result = ok(play, "create")
    assert result["changed"] is True and result["key"] in (MASK, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    assert raw not in play.stdout, "a no_log option must never be printed"
    assert litellm.key(alias)["token"] == hashlib.sha256(raw.encode()).hexdigest()

    # Another value for the existing key: a warning, and the key keeps its value.
    play = run([key_task("other value", key_alias=alias, key="sk-it-other-" + uid + "-0123456789", max_budget=1)])
    result = ok(play, "other value")
    assert result["changed"] is False
    assert any("keeps its current value" in w for w in result.get("warnings", []))
    assert litellm.key(alias)["token"] == hashlib.sha256(raw.encode()).hexdigest()


def test_keys_made_by_someone_else_are_left_alone(litellm, run, fault, uid):
    alias = "it-foreign-" + uid
    status, made = litellm.api("POST", "/key/generate", {"key_alias": alias, "max_budget": 3, "metadata": {"by": "hand"}})
    assert status == 200, made

    fault.reset()
    result = failed(run([key_task("update foreign", key_alias=alias, max_budget=9)]), "update foreign")
    assert "not created by this collection" in result["msg"] and "adopt" in result["msg"]
    result = failed(run([key_task("delete foreign", key_alias=alias, state="absent")]), "delete foreign")
    assert "left alone" in result["msg"]
    assert [r.method for r in fault.requests()] == ["GET", "GET"], "nothing but the two lookups may be sent"
    assert litellm.key(alias)["max_budget"] == 3.0

    # Adopted: tagged, then managed.
    result = ok(run([key_task("adopt", key_alias=alias, max_budget=9, adopt=True)]), "adopt")
    assert result["changed"] is True
    server = litellm.key(alias)
    assert server["max_budget"] == 9.0 and server["metadata"] == {"by": "hand", TAG: {"scope": "default", "owner": "litellm_key"}}
    assert ok(run([key_task("managed now", key_alias=alias, max_budget=9)]), "managed now")["changed"] is False


def test_duration_is_applied_at_creation_and_when_it_changes(litellm, run, uid):
    alias = "it-duration-" + uid
    ok(run([key_task("create", key_alias=alias, duration="30d")]), "create")
    first = litellm.key(alias)
    assert first["expires"] is not None and first["metadata"][TAG] == {"scope": "default", "owner": "litellm_key", "duration": "30d"}

    assert ok(run([key_task("same", key_alias=alias, duration="30d")]), "same")["changed"] is False
    assert ok(run([key_task("undeclared", key_alias=alias)]), "undeclared")["changed"] is False
    assert litellm.key(alias)["expires"] == first["expires"]

    result = ok(run([key_task("longer", key_alias=alias, duration="90d")]), "longer")
    assert result["changed"] is True
    second = litellm.key(alias)
    assert second["expires"] > first["expires"] and second["metadata"][TAG]["duration"] == "90d"


def test_a_wrong_master_key_is_a_clear_error(run, fault, uid):
    play = run([key_task("wrong key", key_alias="it-never-" + uid)], master_key="sk-this-is-not-the-master-key")
    result = failed(play, "wrong key")
    assert "refused the master key" in result["msg"] and "HTTP 401" in result["msg"]
    assert "Traceback" not in result["msg"] and "sk-this-is-not-the-master-key" not in play.stdout
    assert [r.status for r in fault.requests()] == [401], "a refused key is not retried"


def test_an_unreachable_proxy_is_a_clear_error(run, uid):
    tasks = [key_task("unreachable", key_alias="it-never-" + uid, api_url="http://127.0.0.1:9", retries=1)]
    result = failed(run(tasks), "unreachable")
    assert "cannot reach http://127.0.0.1:9/key/list" in result["msg"]


def test_connection_set_once_through_the_action_group(litellm, uid):
    """module_defaults with group/airgap.dify_platform.litellm (meta/runtime.yml action_groups)."""
    alias = "it-group-" + uid
    play = run_tasks([key_task("create", key_alias=alias, max_budget=1)], module_defaults={
        "group/airgap.dify_platform.litellm": {"api_url": litellm.url, "master_key": litellm.master_key}})
    assert ok(play, "create")["changed"] is True
    assert litellm.key(alias)["max_budget"] == 1.0
