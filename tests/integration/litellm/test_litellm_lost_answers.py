"""Creates whose answer is lost, a read-back that fails, a proxy that never answers (issue 17, items 6, 7, 9).

The fault proxy forwards the create to the real LiteLLM, which does it, and
then drops the answer: the connection closes with no response at all, as when
a load balancer times out. The raw key of a key is only in that answer.
"""

import hashlib
import socket
import threading
import time

import litellm_support as ls
from helpers.playbook import run_tasks
from litellm_support import failed, ok
from test_litellm_key import key_task
from test_litellm_key_sync import sync_task

_fault_proxy, fault, litellm, run, uid = ls._fault_proxy, ls.fault, ls.litellm, ls.run, ls.uid


def holds(litellm, alias, raw):
    """Whether ``raw`` is the value of the key ``alias`` that LiteLLM holds (it stores the SHA-256)."""
    key = litellm.key(alias)
    return bool(raw) and key is not None and key["token"] == hashlib.sha256(raw.encode()).hexdigest()


def test_litellm_key_says_plainly_that_a_created_key_lost_its_raw_value(litellm, run, fault, uid):
    alias = "it-lost-" + uid
    fault.fail("POST", "/key/generate", times=1, status=None, forward=True)
    result = failed(run([key_task("create", key_alias=alias, max_budget=1)]), "create")
    assert result["changed"] is True and result["lost_key"] == alias
    assert "LiteLLM created key %r" % alias in result["msg"] and "raw key" in result["msg"]
    assert "recreate_lost_key: true" in result["msg"] and "/key/regenerate" in result["msg"]
    assert len(fault.requests("POST", "/key/generate")) == 1, "a create is never sent twice"
    lost = litellm.key(alias)
    assert lost is not None and lost["metadata"]["airgap.dify_platform"]["raw_key_lost"] is True

    # A later run still says so, without failing: the key works, only its value is unknown.
    fault.reset()
    result = ok(run([key_task("later", key_alias=alias, max_budget=1)]), "later")
    assert result["changed"] is False and result["lost_key"] == alias and "key" not in result

    # The fix the message names: the key is deleted and created again, and the new raw key works.
    result = ok(run([key_task("recover", key_alias=alias, max_budget=1, recreate_lost_key=True)]), "recover")
    assert result["changed"] is True and holds(litellm, alias, result["key"])
    now = litellm.key(alias)
    assert now["token"] != lost["token"]
    assert "raw_key_lost" not in now["metadata"]["airgap.dify_platform"]
    assert ok(run([key_task("settled", key_alias=alias, max_budget=1, recreate_lost_key=True)]),
              "settled")["changed"] is False

    # Asked up front, the loss is repaired in the same run.
    fault.reset()
    fault.fail("POST", "/key/generate", times=1, status=None, forward=True)
    result = ok(run([key_task("at once", key_alias=alias + "-b", recreate_lost_key=True)]), "at once")
    assert holds(litellm, alias + "-b", result["key"])
    assert [r.status for r in fault.requests("POST", "/key/generate")] == [0, 200]
    assert [r.status for r in fault.requests("POST", "/key/delete")] == [200]


def test_the_sync_reports_a_lost_key_and_recovers_it_on_request(litellm, run, fault, uid):
    scope = "it-lost-" + uid
    team, alias = "it-lost-team-" + uid, "it-lk-" + uid
    options = dict(teams=[{"team_id": team}], keys=[{"key_alias": alias, "team_id": team}], scope=scope)
    # The team's answer is lost too: the team exists, so the sync goes on without sending it twice.
    fault.fail("POST", "/team/new", times=1, status=None, forward=True)
    fault.fail("POST", "/key/generate", times=1, status=None, forward=True)
    result = failed(run([sync_task("sync", **options)]), "sync")
    assert result["changed"] is True and result["lost_keys"] == [alias]
    assert result["done"] == ["create team " + team]
    assert "LiteLLM created key %r" % alias in result["msg"] and "recreate_lost_keys: true" in result["msg"]
    assert len(fault.requests("POST", "/team/new")) == 1 and len(fault.requests("POST", "/key/generate")) == 1

    fault.reset()
    result = ok(run([sync_task("later", **options)]), "later")
    assert result["changed"] is False and result["lost_keys"] == [alias]

    result = ok(run([sync_task("recover", recreate_lost_keys=True, **options)]), "recover")
    assert result["changed"] is True and result["lost_keys"] == []
    assert holds(litellm, alias, result["created_keys"][alias])
    assert ok(run([sync_task("settled", **options)]), "settled")["changed"] is False


def test_a_failed_read_back_after_a_create_still_returns_the_raw_key(litellm, run, fault, uid):
    alias = "it-readback-" + uid
    fault.fail("GET", "/key/list", after=1, status=503)  # the lookup passes, every read-back fails
    result = failed(run([key_task("create", key_alias=alias, retries=1)]), "create")
    assert result["changed"] is True
    assert "was created, but reading it back failed" in result["msg"]
    assert holds(litellm, alias, result["key"])


class Silent:
    """Accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_proxy_that_never_answers_is_named_with_attempts_and_time(uid):
    silent = Silent()
    url = "http://127.0.0.1:%d" % silent.sock.getsockname()[1]
    try:
        started = time.monotonic()
        play = run_tasks([key_task("hang", key_alias="it-hang-" + uid, api_url=url, master_key="sk-test",
                                   timeout=1, retries=2, retry_backoff=0.1)])
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    result = play.result("hang")
    assert result["failed"] is True
    assert "timed out (3 attempts in " in result["msg"] and "each with a timeout of 1 s" in result["msg"]
    assert elapsed < 3 + 25, elapsed
