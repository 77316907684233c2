"""Open WebUI's own virtual key against a real LiteLLM configured by the litellm role.

The proxy runs the config.yaml the role renders with the open_webui wave on (so
``user_header_mappings`` maps X-OpenWebUI-User-Email to a customer), and the key
is made by the role's postStart script (workload_keys.py), as in the pod. What
is checked is what Open WebUI's calls meet (open_webui/utils/headers.py sends the
header, v0.11.4): with that key, a call is charged to the person the header
names, their customer budget refuses them once spent, another person still gets
answers, and the key reaches only its models.

LiteLLM v1.104.2 (its wheel, litellm/proxy/auth/user_api_key_auth.py
_run_centralized_common_checks): every key, virtual or master, goes through
common_checks, which runs _check_end_user_budget (auth_checks.py) when the end
user has a budget; the key itself has no budget, user or team to interfere.
"""

import secrets
import time
import uuid

import pytest

from role_proxy import RoleStack, mock_model

HEADER = "X-OpenWebUI-User-Email"
MODELS = ["mock-alpha", "mock-beta", "mock-gamma"]
OPEN_WEBUI_MODELS = ["mock-alpha", "mock-beta"]


@pytest.fixture(scope="module")
def stack():
    variables = {"dify_platform_components": ["foundation", "postgres", "litellm", "open_webui"],
                 "litellm_models": [mock_model(name) for name in MODELS],
                 "litellm_workload_keys": [{"alias": "open-webui", "secret": "dify-platform-open-webui-litellm",
                                            "secret_key": "api-key", "models": OPEN_WEBUI_MODELS, "per_person": True}]}
    stack = RoleStack(variables).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def open_webui_key(stack):
    """The raw key, as the pod has it: sk- and the value the foundation wave generated."""
    raw = "sk-" + secrets.token_urlsafe(36)
    first = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (first.returncode, first.stdout.strip()) == (0, "open-webui: created"), first.stderr[-2000:]
    assert raw not in first.stdout + first.stderr, "the script never prints the key"
    again = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (again.returncode, again.stdout.strip()) == (0, "open-webui: unchanged"), again.stderr[-2000:]
    return raw


def customer(stack, person, max_budget):
    """A customer with a budget and every model granted (object_permission.models, as playbooks/portal_users.yml gives a
    tier without models): the litellm role's model-access hook refuses a person with no grant on Open WebUI's key,
    which is per person (test_litellm_model_access.py)."""
    status, body = stack.api("POST", "/customer/new", {"user_id": person, "max_budget": max_budget,
                                                       "object_permission": {"models": ["*"]}})
    assert status == 200, body


def wait_for_spend_log(stack, person, count, timeout=240):
    """The spend log rows of ``person`` once there are ``count`` of them (LiteLLM writes them in batches)."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = stack.spend_log(person)
        if len(rows) >= count:
            return rows
        time.sleep(3)
    raise AssertionError("spend log of %s: %r after %ss" % (person, rows, timeout))


def test_the_key_is_limited_to_open_webuis_models(stack, open_webui_key):
    key = stack.key("open-webui")
    assert sorted(key["models"]) == OPEN_WEBUI_MODELS
    assert key["user_id"] is None and key["team_id"] is None and key["max_budget"] is None
    assert key["metadata"]["airgap.dify_platform"]["per_person"] is True, key["metadata"]
    status, body = stack.api("GET", "/v1/models", key=open_webui_key)
    assert status == 200 and sorted(m["id"] for m in body["data"]) == OPEN_WEBUI_MODELS
    status, body = stack.chat(open_webui_key, "mock-gamma", {HEADER: "x-%s@example.test" % uuid.uuid4().hex[:8]})
    assert status in (400, 401, 403), (status, body)
    assert "mock-gamma" in str(body)
    # Management routes stay the master key's.
    status, body = stack.api("POST", "/key/generate", {"key_alias": "not-allowed-" + uuid.uuid4().hex[:6]},
                             key=open_webui_key)
    assert status in (401, 403), (status, body)


def test_a_call_with_the_key_is_charged_to_the_person_and_their_spent_budget_refuses_them(stack, open_webui_key):
    uid = uuid.uuid4().hex[:8]
    ana, ben = "ana-%s@example.test" % uid, "ben-%s@example.test" % uid
    customer(stack, ana, 0.001)
    customer(stack, ben, 5.0)

    status, body = stack.chat(open_webui_key, "mock-alpha", {HEADER: ana})
    assert status == 200, body
    assert body["choices"][0]["message"]["content"] == "mock-alpha answered."
    # Refused once spent, by the end user's own budget (the key has none).
    status, body = stack.chat(open_webui_key, "mock-beta", {HEADER: ana})
    assert status in (400, 422, 429), (status, body)
    assert "ExceededBudget: End User=%s over budget" % ana in str(body), body
    # Another person, on the same key, still chats.
    for model in OPEN_WEBUI_MODELS:
        status, body = stack.chat(open_webui_key, model, {HEADER: ben})
        assert status == 200, body

    # The spend log: her answered call, charged to her through Open WebUI's key; the refused one costs nothing.
    rows = wait_for_spend_log(stack, ana, 1)
    assert {alias for _model, _spend, alias in rows} == {"open-webui"}, rows
    assert [(model, spend > 0.001) for model, spend, _alias in rows if spend > 0] == [("mock-alpha", True)], rows
    rows = wait_for_spend_log(stack, ben, 2)
    assert sorted(model for model, spend, _alias in rows if spend > 0) == OPEN_WEBUI_MODELS, rows
    # The customer table's spend follows in LiteLLM's next batch write (the refusal above came from its counter).
    deadline = time.monotonic() + 240
    while True:
        status, body = stack.api("GET", "/customer/info?end_user_id=" + ana)
        if (status == 200 and body["spend"] > 0.001) or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert status == 200 and body["spend"] > 0.001, body

    # A bigger budget (what portal_users.yml sends when the person moves tier) lets her chat again.
    status, body = stack.api("POST", "/customer/update", {"user_id": ana, "max_budget": 5.0})
    assert status == 200, body
    status, body = stack.chat(open_webui_key, "mock-beta", {HEADER: ana})
    assert status == 200, body


def test_a_new_value_in_the_secret_replaces_the_key(stack, open_webui_key):
    """The Secret made anew (deleted, generated again): the next start of the pod makes the key with the new
    value under the same alias, and the old value stops working."""
    raw = "sk-" + secrets.token_urlsafe(36)
    run = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (run.returncode, run.stdout.strip()) == (0, "open-webui: created"), run.stderr[-2000:]
    person = "gil-%s@example.test" % uuid.uuid4().hex[:8]
    customer(stack, person, 5.0)
    assert stack.chat(raw, "mock-alpha", {HEADER: person})[0] == 200
    assert stack.chat(open_webui_key, "mock-alpha", {HEADER: person})[0] in (400, 401), "the old value still works"
    # Put the first value back, for any test that runs after this one.
    back = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": open_webui_key})
    assert back.returncode == 0, back.stderr[-2000:]


def test_difys_body_user_is_the_end_user_charged(stack):
    """What Dify's OpenAI-API-compatible provider sends (docs/portal.md, per-user attribution): no header, the body's
    ``user`` set to Dify's own id of the caller (an Account id from the console, an EndUser id from a web app, "unknown"
    when Dify has none). LiteLLM takes it as the end user (auth_utils.py get_end_user_id_from_request_body, after the
    mapped headers), so the call is charged to that id and a customer budget on that id refuses it once spent."""
    status, body = stack.api("POST", "/key/generate", {"key_alias": "dify-" + uuid.uuid4().hex[:6],
                                                       "models": OPEN_WEBUI_MODELS})
    assert status == 200, body
    dify_key = body["key"]
    account_id = str(uuid.uuid4())  # the shape of Dify's Account.id / EndUser.id
    customer(stack, account_id, 0.001)
    status, body = stack.chat(dify_key, "mock-alpha", body={"user": account_id})
    assert status == 200, body
    status, body = stack.chat(dify_key, "mock-alpha", body={"user": account_id})
    assert status in (400, 422, 429) and "End User=%s over budget" % account_id in str(body), (status, body)
    rows = wait_for_spend_log(stack, account_id, 1)
    assert [model for model, spend, _alias in rows if spend > 0] == ["mock-alpha"], rows
    # The header Open WebUI sends wins over the body's user: the call is the person's, not the id's.
    person = "fay-%s@example.test" % uuid.uuid4().hex[:8]
    customer(stack, person, 5.0)
    status, body = stack.chat(dify_key, "mock-alpha", {HEADER: person}, body={"user": account_id})
    assert status == 200, body
    assert [model for model, spend, _alias in wait_for_spend_log(stack, person, 1) if spend > 0] == ["mock-alpha"]
