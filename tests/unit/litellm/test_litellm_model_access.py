"""The model-access hook's rule (roles/litellm/templates/model_access.py), loaded from the role's file as LiteLLM
loads it (a module from a path), without LiteLLM: who may call which model.

The hook itself runs in the real proxy in tests/integration/litellm/test_litellm_model_access.py.
"""

import importlib.util

import pytest

from helpers.paths import REPO

PATH = REPO / "roles" / "litellm" / "templates" / "model_access.py"


@pytest.fixture(scope="module")
def rule():
    spec = importlib.util.spec_from_file_location("model_access_under_test", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("models, model, allowed", [
    (["mock-alpha"], "mock-alpha", True),
    (["mock-alpha"], "mock-beta", False),
    (["mock-alpha", "mock-beta"], "mock-beta", True),
    (["*"], "anything", True),
    (["all-proxy-models"], "anything", True),
    (["mock-*"], "mock-alpha", False),  # only exact names and * itself: no patterns
    (["Mock-Alpha"], "mock-alpha", False),
])
def test_a_models_permission_grants_exact_names_and_star(rule, models, model, allowed):
    for per_person in (False, True):
        why = rule.refusal(model, "ana@example.test", models, per_person)
        assert (why is None) is allowed, why
        if not allowed:
            assert model in why and "ana@example.test" in why and "none of their groups grants" in why


def test_without_a_permission_only_per_person_keys_refuse(rule):
    for models in (None, []):
        assert rule.refusal("mock-alpha", "dify-account-uuid", models, False) is None
        assert rule.refusal("mock-alpha", None, models, False) is None
        why = rule.refusal("mock-alpha", "new@example.test", models, True)
        assert "new@example.test has no model access" in why and "mock-alpha" in why and "portal_users" in why
        assert "names nobody" in rule.refusal("mock-alpha", None, models, True)


def test_a_call_without_a_model_is_left_to_litellm(rule):
    assert rule.refusal(None, "ana@example.test", ["mock-alpha"], True) is None
    assert rule.refusal("", None, None, True) is None


def test_the_permission_and_the_keys_mark_as_litellm_hands_them_over(rule):
    class Permission:  # LiteLLM_ObjectPermissionTable, an object with a models attribute
        def __init__(self, models):
            self.models = models

    assert rule.permission_models(Permission(("mock-alpha",))) == ["mock-alpha"]
    assert rule.permission_models({"models": None}) is None
    assert rule.permission_models(None) is None
    assert rule.per_person_key({"airgap.dify_platform": {"owner": "x", "per_person": True}}) is True
    assert rule.per_person_key({"airgap.dify_platform": {"owner": "x", "scope": "workload"}}) is False
    assert rule.per_person_key({"airgap.dify_platform": "per_person"}) is False
    assert rule.per_person_key(None) is False


def test_the_file_opens_no_connection_and_names_no_url(rule):
    text = PATH.read_text()
    assert "://" not in text, "the connectivity contract reads URLs in the proxy's ConfigMap as connections"
    for module in ("socket", "urllib", "http.client", "requests", "httpx"):
        assert "import %s" % module not in text
