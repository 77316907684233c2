"""A key belongs to one module and one scope (issue 17, item 8), against a real LiteLLM proxy.

Before: scope b rewrote the tag of scope a's key, the two flipped it on every
run, and a prune in one deleted a key the other still declared, which the
other then recreated with a new value.
"""

import litellm_support as ls
from litellm_support import failed, ok
from test_litellm_key import key_task
from test_litellm_key_sync import sync_task

_fault_proxy, fault, litellm, run, uid = ls._fault_proxy, ls.fault, ls.litellm, ls.run, ls.uid

TAG = "airgap.dify_platform"


def test_a_key_of_one_sync_scope_is_not_taken_by_another(litellm, run, fault, uid):
    alias, scope_a, scope_b = "it-shared-" + uid, "it-a-" + uid, "it-b-" + uid
    ok(run([sync_task("a", keys=[{"key_alias": alias, "max_budget": 1}], scope=scope_a)]), "a")
    before = litellm.key(alias)
    assert before["metadata"][TAG] == {"scope": scope_a, "owner": "litellm_key_sync"}

    fault.reset()
    result = failed(run([sync_task("b", keys=[{"key_alias": alias, "max_budget": 2}], scope=scope_b, prune=True)]),
                    "b")
    assert "%s (owned by litellm_key_sync in scope %r)" % (alias, scope_a) in result["msg"]
    assert "adopt" in result["msg"] and result.get("changed") is not True
    assert fault.requests("POST") == [], "a conflict is left alone: nothing is written"

    # Scope b no longer declares it and prunes: scope a's key is not b's to delete.
    result = ok(run([sync_task("b prunes", keys=[], scope=scope_b, prune=True)]), "b prunes")
    assert result["changed"] is False
    # Scope a runs again: nothing to do, the key and its value are as they were.
    assert ok(run([sync_task("a again", keys=[{"key_alias": alias, "max_budget": 1}], scope=scope_a)]),
              "a again")["changed"] is False
    after = litellm.key(alias)
    assert after["token"] == before["token"] and after["metadata"] == before["metadata"]

    # Taking it over is explicit.
    result = ok(run([sync_task("b adopts", keys=[{"key_alias": alias, "max_budget": 2}], scope=scope_b,
                               adopt=True)]), "b adopts")
    assert result["changed"] is True
    assert litellm.key(alias)["metadata"][TAG] == {"scope": scope_b, "owner": "litellm_key_sync"}


def test_litellm_key_and_a_sync_never_take_each_others_keys(litellm, run, fault, uid):
    # One scope name for both modules: ownership still tells them apart.
    scope, synced, single = "it-s-" + uid, "it-synced-" + uid, "it-single-" + uid
    ok(run([sync_task("sync", keys=[{"key_alias": synced}], scope=scope)]), "sync")
    ok(run([key_task("single", key_alias=single, scope=scope)]), "single")

    fault.reset()
    result = failed(run([key_task("take synced", key_alias=synced, max_budget=5, scope=scope)]), "take synced")
    assert "owned by litellm_key_sync in scope %r" % scope in result["msg"]
    result = failed(run([key_task("delete synced", key_alias=synced, state="absent", scope=scope)]), "delete synced")
    assert "left alone" in result["msg"]
    result = failed(run([sync_task("take single", keys=[{"key_alias": single, "max_budget": 5}], scope=scope)]),
                    "take single")
    assert "owned by litellm_key in scope %r" % scope in result["msg"]
    result = ok(run([sync_task("prune", keys=[{"key_alias": synced}], scope=scope, prune=True)]), "prune")
    assert result["changed"] is False, "the sync's prune never deletes a litellm_key key"
    assert fault.requests("POST") == []
    assert litellm.key(single) is not None and litellm.key(synced)["max_budget"] is None
