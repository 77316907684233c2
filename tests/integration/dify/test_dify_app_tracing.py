"""dify_app_tracing against the fake console, run as users run it: tasks in ansible-playbook."""

import json
import uuid

from dify_support import CHAT_DSL, SOURCES, run, task

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures

HOST = "http://langfuse-web.dify-platform.svc:3000"
MASK = "********"


def keys():
    return "pk-lf-" + str(uuid.uuid4()), "sk-lf-" + str(uuid.uuid4())


def langfuse(public_key, secret_key, host=HOST):
    return {"public_key": public_key, "secret_key": secret_key, "host": host}


def seeded(dify, *sources):
    apps = [dify.seed(CHAT_DSL)]
    apps += [dify.seed((SOURCES / name).read_text()) for name in sources]
    return apps


def output(out):
    return out.stdout + out.stderr


def test_create_then_nothing_to_do(dify):
    app, other = seeded(dify, "echo-workflow.yml")
    pk, sk = keys()
    project = dify.tracing.add_langfuse_project(HOST, pk, sk)
    first = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])
    result = first.result("t")
    assert result["changed"] is True, result
    [one] = result["apps"]
    assert one["app_id"] == app.id and one["operations"] == ["create_config", "enable"]
    assert one["differences"] == ["langfuse", "enabled", "tracing_provider"]
    assert (one["enabled"], one["tracing_provider"]) == (True, "langfuse")
    assert dify.tracing.stored_keys(app.id) == {"public_key": pk, "secret_key": sk, "host": HOST}
    assert dify.tracing.get_app_trace(app.id) == {"enabled": True, "tracing_provider": "langfuse"}
    assert dify.tracing.get_config(app.id, "langfuse")["tracing_config"]["project_url"] == "%s/project/%s" % (HOST, project)
    assert dify.tracing.stored_keys(other.id) is None  # only the app named
    assert sk not in output(first) and pk not in output(first)

    dify.reset_counters()
    second = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])
    again = second.result("t")
    assert again["changed"] is False and again["apps"][0]["operations"] == [], again
    assert dify.write_requests() == []
    # The login, the app list, then the switch and the config of the app.
    assert dify.counts_by_method() == {"POST": 1, "GET": 3}
    assert again["request_count"] == 4


def test_a_trailing_slash_on_the_host_is_the_same_host(dify):
    [app] = seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    run(dify, [task("dify_app_tracing", app_ids=[app.id], langfuse=langfuse(pk, sk, HOST + "/"))])
    assert dify.tracing.stored_keys(app.id)["host"] == HOST
    dify.reset_counters()
    out = run(dify, [task("dify_app_tracing", app_ids=[app.id], langfuse=langfuse(pk, sk))])
    assert out.result("t")["changed"] is False and dify.write_requests() == []


def test_a_changed_key_or_host_is_updated(dify):
    [app] = seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])

    _pk, new_sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, new_sk)
    dify.reset_counters()
    out = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, new_sk))], diff=True)
    result = out.result("t")
    assert result["apps"][0]["operations"] == ["update_config"], result
    assert result["apps"][0]["differences"] == ["langfuse.secret_key"]
    assert [(r.method, r.status) for r in dify.write_requests()] == [("PATCH", 200)]
    assert dify.tracing.stored_keys(app.id)["secret_key"] == new_sk
    [diff] = result["diff"]
    assert diff["before"]["langfuse"] == {"host": HOST, "public_key": MASK, "secret_key": MASK}
    assert diff["after"]["langfuse"] == {"host": HOST, "public_key": MASK, "secret_key": MASK + " (changed)"}
    for secret in (pk, sk, new_sk, sk[-2:] + '"', new_sk[:10]):
        assert secret not in output(out)

    other_host = "http://langfuse.other.svc:3000"
    dify.tracing.add_langfuse_project(other_host, pk, new_sk)
    out = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, new_sk, other_host))])
    assert out.result("t")["apps"][0]["differences"] == ["langfuse.host"]
    assert dify.tracing.stored_keys(app.id)["host"] == other_host


def test_disable_keeps_the_config_and_absent_deletes_it(dify):
    [app] = seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])

    off = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk), enabled=False),
                     task("dify_app_tracing", title="again", names=["faq-chat"], langfuse=langfuse(pk, sk),
                          enabled=False)])
    assert off.result("t")["apps"][0]["operations"] == ["disable"]
    assert off.result("again")["changed"] is False
    assert dify.tracing.get_app_trace(app.id) == {"enabled": False, "tracing_provider": "langfuse"}
    assert dify.tracing.stored_keys(app.id)["secret_key"] == sk

    on = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])
    assert on.result("t")["apps"][0]["operations"] == ["enable"]

    gone = run(dify, [task("dify_app_tracing", names=["faq-chat"], state="absent"),
                      task("dify_app_tracing", title="again", names=["faq-chat"], state="absent")])
    assert gone.result("t")["apps"][0]["operations"] == ["disable", "delete_config"], gone.result("t")
    assert gone.result("again")["changed"] is False
    assert dify.tracing.stored_keys(app.id) is None
    assert dify.tracing.get_app_trace(app.id)["enabled"] is False


def test_check_mode_writes_nothing_and_diff_masks_the_keys(dify):
    [app] = seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    out = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))], check=True, diff=True)
    result = out.result("t")
    assert result["changed"] is True and result["apps"][0]["operations"] == ["create_config", "enable"]
    assert dify.write_requests() == [] and dify.tracing.stored_keys(app.id) is None
    [diff] = result["diff"]
    assert diff["before"] == {"enabled": False, "tracing_provider": None, "langfuse": None}
    assert diff["after"] == {"enabled": True, "tracing_provider": "langfuse", "langfuse": {
        "host": HOST, "public_key": MASK + " (changed)", "secret_key": MASK + " (changed)"}}
    assert sk not in output(out) and pk not in output(out)

    # Check mode tells the truth once applied too: nothing left to do.
    run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])
    dify.reset_counters()
    again = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))], check=True)
    assert again.result("t")["changed"] is False and dify.write_requests() == []


def test_bad_input_names_the_field_and_sends_nothing(dify):
    seeded(dify)
    pk, sk = keys()
    out = run(dify, [
        task("dify_app_tracing", title="scheme", names=["faq-chat"], langfuse=langfuse(pk, sk, "ftp://langfuse")),
        task("dify_app_tracing", title="newline", names=["faq-chat"], langfuse=langfuse(pk, sk + "\n")),
        task("dify_app_tracing", title="missing", names=["faq-chat"], langfuse={"public_key": pk, "host": HOST}),
        task("dify_app_tracing", title="no apps", langfuse=langfuse(pk, sk)),
        task("dify_app_tracing", title="no config", names=["faq-chat"]),
    ])
    assert "langfuse.host must be an http:// or https:// URL" in out.result("scheme")["msg"]
    assert "langfuse.secret_key has leading or trailing whitespace" in out.result("newline")["msg"]
    assert "missing required arguments: secret_key found in langfuse" in out.result("missing")["msg"]
    assert "give the apps in names or app_ids" in out.result("no apps")["msg"]
    assert "state is present but all of the following are missing: langfuse" in out.result("no config")["msg"]
    assert all(out.result(t)["failed"] for t in ("scheme", "newline", "missing", "no apps", "no config"))
    assert dify.requests == []
    assert sk not in output(out)


def test_a_missing_app_stops_the_task_before_any_write(dify):
    seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    out = run(dify, [task("dify_app_tracing", names=["faq-chat", "no-such-app"], app_ids=[str(uuid.uuid4())],
                          langfuse=langfuse(pk, sk))])
    msg = out.result("t")["msg"]
    assert "nothing was changed" in msg and "no app is named 'no-such-app'" in msg and "no app has id" in msg
    assert dify.write_requests() == []


def test_keys_langfuse_refuses_fail_with_dify_reason_and_no_key(dify):
    app, other = seeded(dify, "echo-workflow.yml")
    pk, sk = keys()  # not a project of the Langfuse stand-in
    out = run(dify, [task("dify_app_tracing", names=["basic_auto_test", "faq-chat"], langfuse=langfuse(pk, sk))])
    result = out.result("t")
    assert result["failed"] is True
    assert "Dify refused the tracing config (HTTP 400): LangFuse API check failed" in result["msg"], result["msg"]
    assert "app 'basic_auto_test' (%s)" % other.id in result["msg"]
    assert "Applied before it: none; not tried after it: 1 app(s)" in result["msg"]
    assert dify.tracing.stored_keys(app.id) is None and dify.tracing.stored_keys(other.id) is None
    assert dify.tracing.get_app_trace(other.id)["enabled"] is False  # the switch is not turned on without a config
    assert sk not in output(out) and pk not in output(out)


def test_a_new_key_dify_obfuscates_alike_is_sent_only_with_update_keys_always(dify):
    """The documented limit of comparing obfuscated keys, and its way out."""
    [app] = seeded(dify)
    pk, sk = keys()
    lookalike = sk[:6] + "0" * (len(sk) - 8) + sk[-2:]
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    dify.tracing.add_langfuse_project(HOST, pk, lookalike)
    run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, sk))])
    unseen = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, lookalike))])
    assert unseen.result("t")["changed"] is False
    assert dify.tracing.stored_keys(app.id)["secret_key"] == sk
    forced = run(dify, [task("dify_app_tracing", names=["faq-chat"], langfuse=langfuse(pk, lookalike),
                             update_keys="always")])
    assert forced.result("t")["apps"][0]["operations"] == ["update_config"]
    assert dify.tracing.stored_keys(app.id)["secret_key"] == lookalike


def test_the_admin_api_key_works_too(dify):
    dify.admin_api_key = "admin-key-for-tests"
    [app] = seeded(dify)
    pk, sk = keys()
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    out = run(dify, [task("dify_app_tracing", app_ids=[app.id], langfuse=langfuse(pk, sk))],
              email=None, password=None, admin_api_key="admin-key-for-tests", workspace_id=dify.tenant_id)
    assert out.result("t")["changed"] is True, json.dumps(out.result("t"))
    assert dify.tracing.stored_keys(app.id)["public_key"] == pk


def test_no_key_shows_at_vvv_even_when_dify_refuses_them(dify):
    [app] = seeded(dify)
    pk, sk = keys()
    out = run(dify, [task("dify_app_tracing", app_ids=[app.id], langfuse=langfuse(pk, sk))], diff=True, verbosity=3)
    assert out.result("t")["failed"] is True  # Langfuse knows no such keys
    dify.tracing.add_langfuse_project(HOST, pk, sk)
    good = run(dify, [task("dify_app_tracing", app_ids=[app.id], langfuse=langfuse(pk, sk))], diff=True, verbosity=3)
    assert good.result("t")["changed"] is True
    for text in (output(out), output(good)):
        assert sk not in text and pk not in text
        assert sk[6:20] not in text and obfuscated(sk) not in text


def obfuscated(token):
    return token[:6] + "*" * 12 + token[-2:]
