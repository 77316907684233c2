"""The pure logic of per-app tracing: Dify's obfuscation, validation, the plan and the masked diff."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.tracing import (
    current_state,
    diff_pair,
    obfuscated_token,
    plan_absent,
    plan_present,
    scrub,
    validate_langfuse,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import MASK, MASK_CHANGED

PK = "pk-lf-1f0e4c3a-9b1d-4d7e-8a55-0c2f6e7d9a10"
SK = "sk-lf-5b2a7c9e-3d4f-4e1a-b6c8-9f0d1e2a3b4c"
HOST = "http://langfuse-web.dify-platform.svc:3000"
DESIRED = {"public_key": PK, "secret_key": SK, "host": HOST}


def server(enabled=True, provider="langfuse", config=True, host=HOST, pk=PK, sk=SK):
    """What Dify answers: the switch, and the config with both keys obfuscated."""
    trace = {"enabled": enabled, "tracing_provider": provider}
    answer = None
    if config:
        answer = {"tracing_provider": "langfuse", "tracing_config": {
            "public_key": obfuscated_token(pk), "secret_key": obfuscated_token(sk), "host": host,
            "project_url": host + "/"}}
    return current_state(trace, answer)


@pytest.mark.parametrize("token, shown", [
    ("", ""),
    (None, None),
    ("12345678", "*" * 20),
    ("123456789", "123456" + "*" * 12 + "89"),
    (SK, "sk-lf-" + "*" * 12 + "4c"),
])
def test_obfuscation_is_dify_s(token, shown):
    assert obfuscated_token(token) == shown


def test_validate_keeps_the_keys_and_trims_the_host():
    assert validate_langfuse(dict(DESIRED, host=HOST + "/")) == DESIRED
    assert validate_langfuse(dict(DESIRED, host=" https://langfuse.example.com ")) == dict(
        DESIRED, host="https://langfuse.example.com")


@pytest.mark.parametrize("config, field", [
    (dict(DESIRED, host="ftp://langfuse"), "langfuse.host"),
    (dict(DESIRED, host="langfuse:3000"), "langfuse.host"),
    (dict(DESIRED, host="http://"), "langfuse.host"),
    (dict(DESIRED, host=""), "langfuse.host"),
    (dict(DESIRED, public_key=""), "langfuse.public_key"),
    (dict(DESIRED, secret_key=None), "langfuse.secret_key"),
    (dict(DESIRED, secret_key=SK + "\n"), "langfuse.secret_key"),
    ("not a dict", "langfuse must be a dictionary"),
])
def test_bad_input_names_the_field_and_never_the_key(config, field):
    with pytest.raises(ValidationError) as error:
        validate_langfuse(config)
    assert str(error.value).startswith(field)
    assert SK not in str(error.value)


def test_no_config_is_created_and_switched_on():
    config_op, switch, differences = plan_present(server(enabled=False, provider=None, config=False), DESIRED, True)
    assert config_op == "create"
    assert switch == {"enabled": True, "tracing_provider": "langfuse"}
    assert differences == ["langfuse", "enabled", "tracing_provider"]


def test_the_same_config_is_nothing_to_do():
    assert plan_present(server(), DESIRED, True) == (None, None, [])
    assert plan_present(server(enabled=False), DESIRED, False) == (None, None, [])


@pytest.mark.parametrize("kwargs, difference", [
    ({"host": "http://other:3000"}, "langfuse.host"),
    ({"pk": "pk-lf-aaaaaaaa-0000-0000-0000-000000000000"}, "langfuse.public_key"),
    ({"sk": SK[:-1] + "d"}, "langfuse.secret_key"),
    ({"sk": "short"}, "langfuse.secret_key"),
])
def test_a_different_host_or_key_is_an_update(kwargs, difference):
    config_op, switch, differences = plan_present(server(**kwargs), DESIRED, True)
    assert (config_op, switch, differences) == ("update", None, [difference])


def test_a_key_with_the_same_obfuscated_form_is_not_seen_unless_always():
    lookalike = SK[:6] + "x" * (len(SK) - 8) + SK[-2:]
    assert plan_present(server(sk=lookalike), DESIRED, True) == (None, None, [])
    assert plan_present(server(sk=lookalike), DESIRED, True, update_keys="always") == ("update", None, [])


def test_another_provider_switched_on_is_switched_to_langfuse():
    _op, switch, differences = plan_present(server(provider="phoenix"), DESIRED, True)
    assert switch == {"enabled": True, "tracing_provider": "langfuse"} and differences == ["tracing_provider"]


def test_disabling_keeps_the_provider_and_the_config():
    assert plan_present(server(), DESIRED, False) == (None, {"enabled": False, "tracing_provider": "langfuse"},
                                                      ["enabled"])


def test_absent_switches_off_then_deletes():
    assert plan_absent(server()) == ("delete", {"enabled": False, "tracing_provider": "langfuse"},
                                     ["enabled", "langfuse"])
    assert plan_absent(server(enabled=False)) == ("delete", None, ["langfuse"])
    # Another provider's tracing is left alone.
    assert plan_absent(server(provider="phoenix", config=False)) == (None, None, [])


def test_the_diff_masks_every_key_and_says_which_changed():
    current = server(sk="sk-lf-00000000-0000-0000-0000-000000000000")
    config_op, switch, differences = plan_present(current, DESIRED, True)
    before, after = diff_pair(current, config_op, switch, differences, DESIRED)
    assert before["langfuse"] == {"host": HOST, "public_key": MASK, "secret_key": MASK}
    assert after["langfuse"] == {"host": HOST, "public_key": MASK, "secret_key": MASK_CHANGED}
    created_before, created = diff_pair(server(config=False, enabled=False), "create",
                                        {"enabled": True, "tracing_provider": "langfuse"}, ["langfuse"], DESIRED)
    assert created_before["langfuse"] is None
    assert created["langfuse"] == {"host": HOST, "public_key": MASK_CHANGED, "secret_key": MASK_CHANGED}
    assert created["enabled"] is True
    text = repr((before, after, created_before, created))
    assert SK not in text and PK not in text and SK[-2:] + "'" not in text


def test_scrub_removes_every_key_from_a_message():
    message = "1 validation error for LangfuseConfig input_value={'public_key': '%s', 'secret_key': '%s'}" % (PK, SK)
    assert scrub(message, [PK, SK, ""]) == (
        "1 validation error for LangfuseConfig input_value={'public_key': '%s', 'secret_key': '%s'}" % (MASK, MASK))
