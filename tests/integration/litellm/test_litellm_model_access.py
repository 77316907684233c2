"""Model access per person on a real LiteLLM configured by the litellm role: the model-access hook.

The proxy runs the ConfigMap the role renders with the open_webui wave on: config.yaml (Open WebUI's
X-OpenWebUI-User-Email mapped to a customer, the hook in litellm_settings.callbacks) and, beside it,
model_access.py, which LiteLLM loads from the config's directory as in the pod. Open WebUI's key is made by the
role's workload_keys.py, marked per person. Customers get ``object_permission.models`` through LiteLLM's own
/customer/new and /customer/update, as playbooks/portal_users.yml sends them (the playbook itself, with Keycloak, is
tested in tests/integration/portal/test_portal_users.py).

The last test runs the same proxy with the hook off (litellm_model_access_enabled false): LiteLLM v1.104.2 alone
serves every model of the key to a customer whose permission names one (it copies the permission onto the call's
auth, user_api_key_auth.py, and enforces it nowhere on a model call), which is why the hook exists.
"""

import secrets
import urllib.parse
import uuid

import pytest

from ansible_collections.airgap.dify_platform.plugins.filter.portal_customers import permission
from role_proxy import RoleStack, mock_model

HEADER = "X-OpenWebUI-User-Email"
MODELS = ["mock-alpha", "mock-beta"]
DENIED = "Model access denied"


def variables(**extra):
    return dict({"dify_platform_components": ["foundation", "postgres", "litellm", "open_webui"],
                 "litellm_models": [mock_model(name) for name in MODELS]}, **extra)


def start(**extra):
    """The stack and Open WebUI's key, made by the rendered workload_keys.py (the role's default entry)."""
    stack = RoleStack(variables(**extra)).start()
    raw = "sk-" + secrets.token_urlsafe(36)
    run = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (run.returncode, run.stdout.strip()) == (0, "open-webui: created"), run.stdout + run.stderr[-2000:]
    return stack, raw


@pytest.fixture(scope="module")
def hooked():
    stack, raw = start()
    yield stack, raw
    stack.stop()


def person():
    return "p-%s@example.test" % uuid.uuid4().hex[:8]


def customer(stack, user_id, models, endpoint="new"):
    """A customer with a budget and, unless ``models`` is None, a models permission, in the body playbooks/portal_users.yml
    sends (plugins/filter/portal_customers.py: the permission's every list column, which /customer/update needs)."""
    body = {"user_id": user_id, "max_budget": 5.0}
    if models is not None:
        held = stack.api("GET", "/customer/info?" + urllib.parse.urlencode({"end_user_id": user_id}))[1]
        body["object_permission"] = permission(models, held if endpoint == "update" else None)
    status, answer = stack.api("POST", "/customer/" + endpoint, body)
    assert status == 200, answer
    return answer


def refused(answer, status, *words):
    text = str(answer)
    assert status == 403 and DENIED in text and all(word in text for word in words), (status, answer)


def test_open_webuis_key_is_marked_per_person_and_the_hook_is_loaded_beside_the_config(hooked):
    stack, _raw = hooked
    key = stack.key("open-webui")
    mark = {"owner": "litellm role (workload key)", "scope": "workload", "per_person": True}
    assert key["metadata"]["airgap.dify_platform"] == mark
    assert "model_access.py" in stack.data and "model_access.hook" in stack.data["config.yaml"]


def test_a_person_gets_the_models_of_their_grant_and_is_refused_the_others_with_403(hooked):
    stack, key = hooked
    ana = person()
    info = customer(stack, ana, ["mock-alpha"])
    assert info["object_permission"]["models"] == ["mock-alpha"], info
    status, answer = stack.chat(key, "mock-alpha", {HEADER: ana})
    assert status == 200 and answer["choices"][0]["message"]["content"] == "mock-alpha answered.", answer
    status, answer = stack.chat(key, "mock-beta", {HEADER: ana})
    refused(answer, status, ana, "mock-beta", "none of their groups grants")
    # Granted one more model (what portal_users.yml sends when she moves tier): served at once.
    customer(stack, ana, ["mock-alpha", "mock-beta"], endpoint="update")
    status, answer = stack.chat(key, "mock-beta", {HEADER: ana})
    assert status == 200, answer
    # Every model with *.
    ben = person()
    customer(stack, ben, ["*"])
    assert [stack.chat(key, model, {HEADER: ben})[0] for model in MODELS] == [200, 200]


def test_on_the_per_person_key_no_grant_means_no_model(hooked):
    stack, key = hooked
    new = person()
    status, answer = stack.chat(key, "mock-alpha", {HEADER: new})
    refused(answer, status, new, "has no model access", "portal_users")
    # A customer with a budget and no permission (made before models were enforced), or with an empty list (a person
    # who left every tier): refused too.
    old, left = person(), person()
    customer(stack, old, None)
    customer(stack, left, [])
    for who in (old, left):
        refused(*reversed(stack.chat(key, "mock-alpha", {HEADER: who})), who, "has no model access")
    status, answer = stack.chat(key, "mock-alpha")
    refused(answer, status, "names nobody")


def test_difys_calls_on_its_own_key_are_not_touched(hooked):
    """Dify's key is not per person: its body ``user`` (a Dify account or end-user id, docs/portal.md) has no
    customer, or one with no permission, and is served every model of the key."""
    stack, _raw = hooked
    status, body = stack.api("POST", "/key/generate", {"key_alias": "dify-" + uuid.uuid4().hex[:6], "models": MODELS})
    assert status == 200, body
    dify_key = body["key"]
    account, end_user = str(uuid.uuid4()), str(uuid.uuid4())
    customer(stack, end_user, None)
    for user in (account, end_user):
        for model in MODELS:
            status, answer = stack.chat(dify_key, model, body={"user": user})
            assert status == 200, (user, model, answer)
    assert stack.chat(dify_key, "mock-beta")[0] == 200, "a call naming nobody on Dify's key"


def test_a_key_made_before_the_mark_is_marked_at_the_next_start(hooked):
    """A cluster upgraded from a version whose workload_keys.py made Open WebUI's key without ``per_person``: the
    script updates the key's metadata at the pod's next start, keeping the metadata's other entries."""
    stack, raw = hooked
    older = {"airgap.dify_platform": {"owner": "litellm role (workload key)", "scope": "workload"}, "note": "kept"}
    status, body = stack.api("POST", "/key/update", {"key": raw, "metadata": older})
    assert status == 200, body
    nobody_yet = person()
    assert stack.chat(raw, "mock-alpha", {HEADER: nobody_yet})[0] == 200, "unmarked, the key is not per person"
    run = stack.run_workload_keys({"LITELLM_WORKLOAD_KEY_0": raw})
    assert (run.returncode, run.stdout.strip()) == (0, "open-webui: updated"), run.stdout + run.stderr[-2000:]
    status, info = stack.api("GET", "/key/info?" + urllib.parse.urlencode({"key": raw}))
    assert status == 200 and info["info"]["metadata"]["airgap.dify_platform"]["per_person"] is True, info
    assert info["info"]["metadata"]["note"] == "kept"
    refused(*reversed(stack.chat(raw, "mock-alpha", {HEADER: person()})), "has no model access")


def test_without_the_hook_litellm_serves_a_model_the_permission_does_not_name():
    """The hook off: the same grant is stored and handed to the call's auth, and LiteLLM serves the other model."""
    stack, key = start(litellm_model_access_enabled=False)
    try:
        assert "model_access.py" not in stack.data
        ana = person()
        customer(stack, ana, ["mock-alpha"])
        status, answer = stack.chat(key, "mock-beta", {HEADER: ana})
        assert status == 200 and answer["choices"][0]["message"]["content"] == "mock-beta answered.", answer
    finally:
        stack.stop()
