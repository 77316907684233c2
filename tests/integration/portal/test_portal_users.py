"""playbooks/portal_users.yml against a real Keycloak and a real LiteLLM proxy: group membership decides budgets.

The real servers are the ones the Keycloak and LiteLLM integration tests use
(tests/integration/keycloak/keycloak_server.py, tests/harness/litellm). The
playbook runs as operators run it: ansible-playbook, an inventory whose host is
in the dify_platform group, the connection in inventory variables.
"""

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import yaml

from helpers.paths import COLLECTIONS_ROOT, REPO

sys.path.insert(0, str(REPO / "tests" / "integration" / "keycloak"))
from keycloak_server import get_server

sys.path.insert(0, str(REPO / "tests" / "integration" / "litellm"))
from role_proxy import RoleStack, mock_model

PLAYBOOK = REPO / "playbooks" / "portal_users.yml"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
SYNC = "Sync each person's LiteLLM user and key with their tier's team, models and budget"
MEMBERS = "Read the members of each tier's Keycloak group"
REPORT = "Report what the run did"
CHECK_MODE_WRITES = "Report the customer writes a run would make (check mode)"
DENIED = "Model access denied"
# The header Open WebUI names the signed-in person with (open_webui/utils/headers.py, v0.11.4), which the litellm
# role maps to a customer with the open_webui wave on.
CHARGED_TO = "X-OpenWebUI-User-Email"


@pytest.fixture(scope="module")
def keycloak():
    return get_server()


@pytest.fixture(scope="module")
def litellm():
    """A real LiteLLM with the litellm role's configuration for the open_webui wave: Open WebUI's header names the
    person (a customer), and the tiers' models answer (mock_response) at a price, so a budget can refuse them."""
    stack = RoleStack({"dify_platform_components": ["foundation", "postgres", "litellm", "open_webui"],
                       "litellm_models": [mock_model("gpt-test"), mock_model("embed-test")]}).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def open_webui_key(litellm):
    """Open WebUI's own key, made by the role's workload_keys.py as the proxy's pod makes it (per person: its every
    call names a person, and the role's model-access hook refuses a person without a grant)."""
    raw = "sk-" + secrets.token_urlsafe(36)
    run = litellm.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (run.returncode, run.stdout.strip()) == (0, "open-webui: created"), run.stdout + run.stderr[-2000:]
    return raw


def patiently(kc, method, path, body, exists):
    """An admin write of the test's setup that may outlast the harness's 30 s timeout on a loaded machine:
    on a timeout, wait (up to 10 minutes) until ``exists()`` says the write took effect."""
    try:
        return kc.api(method, path, body)[0]
    except TimeoutError:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            time.sleep(5)
            try:
                if exists():
                    return 201
            except TimeoutError:
                pass
        raise


class Realm:
    """A realm of its own (one per test module) with two tier groups per test, made through the admin API."""

    def __init__(self, kc, name):
        self.kc = kc
        self.name = name
        self.uid = None
        self.groups = {}
        status = patiently(kc, "POST", "/admin/realms", {"realm": self.name, "enabled": True},
                           lambda: kc.realm(self.name) is not None)
        assert status == 201, status

    def tiers(self, uid):
        """Two new tier groups, named after ``uid``."""
        self.uid = uid
        self.groups = {}
        for group in ("power", "users"):
            path = self.path("/group-by-path/%s-%s" % (group, uid))
            status = patiently(self.kc, "POST", self.path("/groups"), {"name": "%s-%s" % (group, uid)},
                               lambda path=path: self.kc.get(path) is not None)
            assert status == 201, status
            self.groups[group] = self.kc.get(path)["id"]
        return self

    def path(self, rest):
        return "/admin/realms/%s%s" % (urllib.parse.quote(self.name, safe=""), rest)

    def group(self, short):
        return "%s-%s" % (short, self.uid)

    def person(self, username, group, enabled=True):
        username = "%s-%s" % (username, self.uid)
        status = patiently(self.kc, "POST", self.path("/users"), {
            "username": username, "enabled": enabled, "email": "%s@Example.test" % username,
            "groups": ["/" + self.group(group)]}, lambda: self.user_id(username) is not None)
        assert status == 201, status
        return self.email(username)

    def user_id(self, username):
        found = self.kc.get(self.path("/users?" + urllib.parse.urlencode({"username": username, "exact": "true"})))
        return found[0]["id"] if found else None

    def move(self, username, source, target):
        user = self.user_id("%s-%s" % (username, self.uid))
        assert self.kc.api("DELETE", self.path("/users/%s/groups/%s" % (user, self.groups[source])))[0] == 204
        assert self.kc.api("PUT", self.path("/users/%s/groups/%s" % (user, self.groups[target])))[0] == 204

    @staticmethod
    def email(username):
        return "%s@example.test" % username

    def delete(self):
        self.kc.api("DELETE", "/admin/realms/%s" % urllib.parse.quote(self.name, safe=""))


@pytest.fixture(scope="module")
def the_realm(keycloak):
    realm = Realm(keycloak, "portal-it-" + uuid.uuid4().hex[:8])
    yield realm
    with contextlib.suppress(TimeoutError):  # Keycloak goes on deleting it
        realm.delete()


@pytest.fixture
def realm(the_realm):
    return the_realm.tiers(uuid.uuid4().hex[:8])


def run_playbook(tmp_path, keycloak, litellm, realm, check=False):
    """ansible-playbook playbooks/portal_users.yml with an inventory as an operator writes it."""
    inventory = {"dify_platform": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}, "vars": {
        "keycloak_url": keycloak.url, "keycloak_realm": realm.name,
        "keycloak_admin_username": keycloak.username, "keycloak_admin_password": keycloak.password,
        "portal_users_litellm_api_url": litellm.url, "portal_users_litellm_master_key": litellm.master_key,
        "portal_users_scope": "portal-it-" + realm.uid,
        # The test reads the sync's result; operators keep it hidden (the default).
        "portal_users_secure_logging": False,
        "portal_users_tiers": [
            {"group": realm.group("power"), "models": ["gpt-test", "embed-test"], "max_budget": 50.0,
             "budget_duration": "30d"},
            {"group": realm.group("users"), "models": ["gpt-test"], "max_budget": 5.0, "budget_duration": "30d"},
        ]}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    os.chmod(path, 0o600)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false", KEYCLOAK_RETRY_BACKOFF="0.1",
               KEYCLOAK_TIMEOUT="120",
               LITELLM_RETRY_BACKOFF="0.05", LITELLM_TIMEOUT="120")
    cmd = [ANSIBLE_PLAYBOOK, "-i", str(path), str(PLAYBOOK)] + (["--check"] if check else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    data = json.loads(proc.stdout[proc.stdout.find("{"):])
    results = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            results[task["task"]["name"]] = task["hosts"]["localhost"]
    assert proc.returncode == 0, (proc.stderr[-2000:], {k: v.get("msg") for k, v in results.items()})
    return results, data["stats"]["localhost"]


def budgets(litellm, realm, *people):
    """{person: (user max_budget, user models, key max_budget, key models)} as LiteLLM holds them."""
    found = {}
    for person in people:
        status, body = litellm.api("GET", "/user/info?" + urllib.parse.urlencode({"user_id": person}))
        user = (body.get("user_info") or {}) if status == 200 else {}
        key = litellm.key("portal-" + person) or {}
        found[person] = (user.get("max_budget"), sorted(user.get("models") or []),
                         key.get("max_budget"), sorted(key.get("models") or []))
    return found


def test_group_membership_decides_budgets_on_every_run(tmp_path, keycloak, litellm, realm):
    alice, bob = realm.person("alice", "users"), realm.person("bob", "power")
    carol = realm.person("carol", "users", enabled=False)

    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm)
    members = results[MEMBERS]
    assert members["members"] == {realm.group("power"): [bob], realm.group("users"): [alice]}
    assert members["groups"][1]["skipped"] == ["carol-" + realm.uid], "a disabled person gets no budget"
    assert results[SYNC]["changed"] is True
    assert results[SYNC]["summary"]["created"] == {"teams": 0, "users": 2, "keys": 2}
    assert budgets(litellm, realm, alice, bob) == {
        alice: (5.0, ["gpt-test"], 5.0, ["gpt-test"]),
        bob: (50.0, ["embed-test", "gpt-test"], 50.0, ["embed-test", "gpt-test"])}
    assert litellm.key("portal-" + carol) is None

    # A second run changes nothing.
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm)
    assert results[SYNC]["changed"] is False and stats["changed"] == 0, results[SYNC]["actions"]

    # Alice is moved to the bigger tier in Keycloak. Check mode tells the truth and changes nothing.
    realm.move("alice", "users", "power")
    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm, check=True)
    sync = results[SYNC]
    assert sync["changed"] is True
    assert sorted((a["op"], a["kind"], a["id"]) for a in sync["actions"]) == [
        ("update", "key", "portal-" + alice), ("update", "user", alice)]
    key_changes = next(a["changes"] for a in sync["actions"] if a["kind"] == "key")
    assert {"max_budget", "models"} <= set(key_changes), key_changes
    assert budgets(litellm, realm, alice)[alice] == (5.0, ["gpt-test"], 5.0, ["gpt-test"]), "check mode wrote"

    # The next run gives her the bigger budget, on the same key.
    key_before = litellm.key("portal-" + alice)["token"]
    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm)
    assert results[SYNC]["summary"]["updated"] == {"teams": 0, "users": 1, "keys": 1}
    assert budgets(litellm, realm, alice)[alice] == (50.0, ["embed-test", "gpt-test"], 50.0, ["embed-test", "gpt-test"])
    assert litellm.key("portal-" + alice)["token"] == key_before, "moving tiers must keep the person's key"

    # And a run after that changes nothing again.
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm)
    assert results[SYNC]["changed"] is False and stats["changed"] == 0, results[SYNC]["actions"]


def customer_budget(litellm, person):
    status, body = litellm.api("GET", "/customer/info?" + urllib.parse.urlencode({"end_user_id": person}))
    assert status == 200, body
    return (body.get("litellm_budget_table") or {}).get("max_budget")


def test_a_person_who_leaves_every_tier_loses_the_key_and_the_customer_budget(tmp_path, keycloak, litellm, realm):
    """Open WebUI's calls are charged to the person as a customer, on Open WebUI's own key: leaving every tier must
    close that customer's budget too, not only delete the person's key."""
    dave, erin = realm.person("dave", "users"), realm.person("erin", "users")
    run_playbook(tmp_path, keycloak, litellm, realm)
    assert litellm.key("portal-" + dave) is not None
    assert customer_budget(litellm, dave) == 5.0
    status, body = litellm.api("POST", "/key/generate", {"models": ["gpt-test"]})
    assert status == 200, body
    open_webui_key = body["key"]
    assert litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: dave})[0] == 200

    user = realm.user_id("dave-" + realm.uid)
    assert keycloak.api("DELETE", realm.path("/users/%s/groups/%s" % (user, realm.groups["users"])))[0] == 204
    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm)
    assert [(a["op"], a["id"]) for a in results[SYNC]["actions"]] == [("delete", "portal-" + dave)]
    assert litellm.key("portal-" + dave) is None
    assert results[REPORT]["msg"]["closed_customers"] == [dave]
    assert customer_budget(litellm, dave) == -1.0 and customer_budget(litellm, erin) == 5.0
    status, body = litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: dave})
    assert status == 422 and "ExceededBudget: End User=%s over budget" % dave in str(body), (status, body)
    assert litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: erin})[0] == 200, "erin is still in her tier"

    # Nothing more to do on the next run.
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm)
    assert results[REPORT]["msg"]["closed_customers"] == [] and stats["changed"] == 0, results[SYNC]["actions"]

    # Back in a tier, back to its budget, and served again.
    assert keycloak.api("PUT", realm.path("/users/%s/groups/%s" % (user, realm.groups["users"])))[0] == 204
    run_playbook(tmp_path, keycloak, litellm, realm)
    assert customer_budget(litellm, dave) == 5.0
    assert litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: dave})[0] == 200


def customer_models(litellm, person):
    status, body = litellm.api("GET", "/customer/info?" + urllib.parse.urlencode({"end_user_id": person}))
    assert status == 200, body
    return sorted((body.get("object_permission") or {}).get("models") or [])


def test_the_tier_decides_the_models_in_the_chat(tmp_path, keycloak, litellm, realm, open_webui_key):
    """Issue 18's "Keycloak groups mapped to model access", through LiteLLM: Open WebUI's key with the person's e-mail
    (X-OpenWebUI-User-Email) is served the models of her tier and refused the others (403, a message naming the
    model); moved in Keycloak to a tier with more models, she gets them after the next run; Dify's calls (its own key,
    the body's user) are not touched."""
    fern = realm.person("fern", "users")  # tier "users": gpt-test only
    status, body = litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: fern})
    assert status == 403 and "%s has no model access" % fern in str(body), (status, body)

    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm)
    assert fern in results[REPORT]["msg"]["customers"]
    assert customer_models(litellm, fern) == ["gpt-test"]
    status, body = litellm.chat(open_webui_key, "gpt-test", {CHARGED_TO: fern})
    assert status == 200 and body["choices"][0]["message"]["content"] == "gpt-test answered.", body
    status, body = litellm.chat(open_webui_key, "embed-test", {CHARGED_TO: fern})
    assert status == 403 and DENIED in str(body) and "may not use the model embed-test" in str(body), (status, body)
    assert fern in str(body) and "none of their groups grants" in str(body)

    # A second run changes nothing.
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm)
    assert stats["changed"] == 0 and results[REPORT]["msg"]["customers"] == [], results[REPORT]["msg"]

    # Moved to the tier with both models: check mode reports her customer's write and makes none.
    realm.move("fern", "users", "power")
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm, check=True)
    assert results[CHECK_MODE_WRITES]["changed"] is True, results[CHECK_MODE_WRITES]
    assert results[CHECK_MODE_WRITES]["msg"] == [[fern, ["max_budget", "models"]]]
    assert customer_models(litellm, fern) == ["gpt-test"], "check mode wrote"
    assert litellm.chat(open_webui_key, "embed-test", {CHARGED_TO: fern})[0] == 403

    results, _unused = run_playbook(tmp_path, keycloak, litellm, realm)
    assert results[REPORT]["msg"]["customers"] == [fern]
    assert customer_models(litellm, fern) == ["embed-test", "gpt-test"]
    status, body = litellm.chat(open_webui_key, "embed-test", {CHARGED_TO: fern})
    assert status == 200 and body["choices"][0]["message"]["content"] == "embed-test answered.", body
    results, stats = run_playbook(tmp_path, keycloak, litellm, realm)
    assert stats["changed"] == 0, results[REPORT]["msg"]

    # Dify: its own key (not per person) and the body's user, an id with no customer: every model of the key.
    status, body = litellm.api("POST", "/key/generate", {"key_alias": "dify-" + realm.uid,
                                                         "models": ["gpt-test", "embed-test"]})
    assert status == 200, body
    for model in ("gpt-test", "embed-test"):
        status, answer = litellm.chat(body["key"], model, body={"user": str(uuid.uuid4())})
        assert status == 200, (model, answer)
