"""The fake console's tracing endpoints follow Dify's rules: checked over plain HTTP, without the modules.

What each assertion stands for is cited in tests/fakes/dify_console/tracing_service.py.
"""

from dify_support import CHAT_DSL
from test_dify_fake_console import Session

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures

HOST = "http://langfuse.test:3000"
PK = "pk-lf-11111111-2222-3333-4444-555555555555"
SK = "sk-lf-66666666-7777-8888-9999-000000000000"


def session(dify):
    s = Session(dify)
    assert s.login()[0] == 200
    return s


def config(host=HOST, pk=PK, sk=SK):
    return {"tracing_provider": "langfuse", "tracing_config": {"public_key": pk, "secret_key": sk, "host": host}}


def test_the_switch_defaults_off_and_wants_a_provider_when_on(dify):
    app = dify.seed(CHAT_DSL)
    s = session(dify)
    path = "/apps/%s/trace" % app.id
    assert s.call("GET", path) == (200, {"enabled": False, "tracing_provider": None})
    status, body = s.call("POST", path, {"enabled": True})
    assert status == 400 and body["code"] == "invalid_param"
    assert "tracing_provider is required when enabled is True" in body["message"]
    status, body = s.call("POST", path, {"enabled": True, "tracing_provider": "nope"})
    assert (status, body["message"]) == (400, "Invalid tracing provider: nope")
    # Dify does not check that a config exists before switching tracing on.
    assert s.call("POST", path, {"enabled": True, "tracing_provider": "langfuse"}) == (200, {"result": "success"})
    assert s.call("GET", path) == (200, {"enabled": True, "tracing_provider": "langfuse"})
    status, body = s.call("GET", "/apps/00000000-0000-4000-8000-000000000000/trace")
    assert (status, body["message"]) == (400, "App not found")


def test_the_config_is_checked_stored_encrypted_and_read_back_obfuscated(dify):
    app = dify.seed(CHAT_DSL)
    s = session(dify)
    path = "/apps/%s/trace-config" % app.id
    assert s.call("GET", path + "?tracing_provider=langfuse") == (200, {"has_not_configured": True})

    status, body = s.call("POST", path, config())  # no Langfuse project has these keys
    assert status == 400 and body["code"] == "bad_request"
    assert body["message"].startswith("LangFuse API check failed: ")

    status, body = s.call("POST", path, config(host="ftp://langfuse"))
    assert status == 400 and body["message"].startswith("1 validation error for LangfuseConfig\nhost\n")
    assert "URL must start with https:// or http://" in body["message"]

    project = dify.tracing.add_langfuse_project(HOST, PK, SK)
    assert s.call("POST", path, config()) == (200, {"result": "success"})
    stored = dify.tracing.configs[(app.id, "langfuse")].tracing_config
    assert PK not in str(stored) and SK not in str(stored)  # encrypted, opaque
    status, body = s.call("GET", path + "?tracing_provider=langfuse")
    assert status == 200
    assert body["tracing_config"] == {
        "public_key": "pk-lf-" + "*" * 12 + "55", "secret_key": "sk-lf-" + "*" * 12 + "00", "host": HOST,
        "project_url": "%s/project/%s" % (HOST, project),
    }
    assert body["tracing_provider"] == "langfuse" and body["is_active"] is True and body["app_id"] == app.id

    status, body = s.call("POST", path, config())
    assert (status, body["message"]) == (400, "400 Bad Request: Trace config is exist.")


def test_an_update_with_obfuscated_keys_keeps_them_and_is_checked_again(dify):
    app = dify.seed(CHAT_DSL)
    s = session(dify)
    path = "/apps/%s/trace-config" % app.id
    status, body = s.call("PATCH", path, config())
    assert (status, body["message"]) == (400, "400 Bad Request: Trace config not exist.")
    dify.tracing.add_langfuse_project(HOST, PK, SK)
    assert s.call("POST", path, config())[0] == 200
    shown = s.call("GET", path + "?tracing_provider=langfuse")[1]["tracing_config"]
    # What the console UI sends back: the obfuscated keys keep the stored ones.
    assert s.call("PATCH", path, config(pk=shown["public_key"], sk=shown["secret_key"])) == (200, {"result": "success"})
    assert dify.tracing.stored_keys(app.id) == {"public_key": PK, "secret_key": SK, "host": HOST}
    status, body = s.call("PATCH", path, config(sk="sk-lf-refused"))
    assert status == 400 and body["message"].startswith("LangFuse API check failed")
    assert dify.tracing.stored_keys(app.id)["secret_key"] == SK


def test_delete_and_another_workspace_s_app(dify):
    app = dify.seed(CHAT_DSL)
    s = session(dify)
    path = "/apps/%s/trace-config" % app.id
    dify.tracing.add_langfuse_project(HOST, PK, SK)
    assert s.call("POST", path, config())[0] == 200
    assert s.call("DELETE", path + "?tracing_provider=langfuse") == (204, None)
    status, body = s.call("DELETE", path + "?tracing_provider=langfuse")
    assert (status, body["message"]) == (400, "400 Bad Request: Trace config not exist.")
    status, body = s.call("GET", "/apps/00000000-0000-4000-8000-000000000000/trace-config?tracing_provider=langfuse")
    assert (status, body["code"]) == (404, "app_not_found")
