"""dify_app_export, dify_app_info and dify_setup against the fake console."""

import http.server
import os
import stat
import threading
import types
from pathlib import Path

import yaml

from dify_support import (
    CHAT_DSL,
    EMAIL,
    PASSWORD,
    SOURCES,
    run,
    task,
)
from fakes.dify_console import FakeDifyConsole

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures


def seed_all(fake):
    return [fake.seed((SOURCES / name).read_text()) for name in ("echo-workflow.yml", "echo-chat.yml",
                                                                 "basic_chatflow.yml")] + [fake.seed(CHAT_DSL)]


def snapshot(directory):
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(Path(directory).iterdir())}


def test_export_is_stable_and_restorable(dify, tmp_path):
    apps = seed_all(dify)
    dest = str(tmp_path / "apps")
    first = run(dify, [task("dify_app_export", dest=dest)]).result("t")
    assert first["changed"] is True, first
    names = sorted(os.path.basename(f["path"]) for f in first["files"])
    assert names == sorted("%s-%s.yml" % (slug, app.id.replace("-", "")[:8]) for slug, app in zip(
        ["basic-auto-test", "echo-bot", "basic-chatflow", "faq-chat"], apps))
    for entry in first["files"]:
        on_disk = yaml.safe_load(Path(entry["path"]).read_text())
        assert on_disk == yaml.safe_load(dify.export_text(entry["app_id"]))
        assert stat.S_IMODE(os.stat(entry["path"]).st_mode) == 0o644
    lines = Path(first["files"][0]["path"]).read_text().splitlines()
    nested = [(a, b) for a, b in zip(lines, lines[1:]) if a.endswith(":") and b.lstrip().startswith("- ")]
    assert nested and all(len(b) - len(b.lstrip()) > len(a) - len(a.lstrip()) for a, b in nested)
    before = snapshot(dest)

    dify.reset_counters()
    second = run(dify, [task("dify_app_export", dest=dest)]).result("t")
    assert second["changed"] is False and second["changed_files"] == [], second
    assert snapshot(dest) == before  # byte-identical and not even rewritten
    assert dify.write_requests() == []

    # Every exported file applies back as a no-op.
    dify.reset_counters()
    out = run(dify, [task("dify_app", title=os.path.basename(f["path"]), src=f["path"]) for f in first["files"]])
    assert all(r["changed"] is False for r in out.results), out.results
    assert dify.write_requests() == []


def test_an_edit_on_the_server_changes_exactly_one_file(dify, tmp_path):
    apps = seed_all(dify)
    dest = str(tmp_path / "apps")
    run(dify, [task("dify_app_export", dest=dest)])
    before = snapshot(dest)
    apps[0].workflow["graph"]["nodes"][0]["data"]["title"] = "Edited in the UI"
    result = run(dify, [task("dify_app_export", dest=dest)]).result("t")
    assert result["changed"] is True and len(result["changed_files"]) == 1
    after = snapshot(dest)
    assert [n for n in after if after[n] != before[n]] == [os.path.basename(result["changed_files"][0])]


def test_filters_and_missing_names(dify, tmp_path):
    seed_all(dify)
    out = run(dify, [
        task("dify_app_export", title="chat", dest=str(tmp_path / "a"), modes=["chat"]),
        task("dify_app_export", title="names", dest=str(tmp_path / "b"), names=["echo-bot", "faq-chat"]),
        task("dify_app_export", title="missing", dest=str(tmp_path / "c"), names=["echo-bot", "nope"]),
        task("dify_app_export", title="prune+names", dest=str(tmp_path / "d"), names=["echo-bot"], prune=True),
    ])
    assert [f["name"] for f in out.result("chat")["files"]] == ["faq-chat"]
    assert [f["name"] for f in out.result("names")["files"]] == ["echo-bot", "faq-chat"]
    assert "no app matches 'nope'" in out.result("missing")["msg"]
    assert not os.path.exists(str(tmp_path / "c"))
    assert "cannot be combined" in out.result("prune+names")["msg"]


def test_secrets_only_when_asked(dify, tmp_path):
    text = (SOURCES / "echo-workflow.yml").read_text().replace(
        "  environment_variables: []",
        "  environment_variables:\n    - {name: key, value: sk-hidden-42, value_type: secret}")
    dify.seed(text)
    out = run(dify, [
        task("dify_app_export", title="plain", dest=str(tmp_path / "plain")),
        task("dify_app_export", title="secret", dest=str(tmp_path / "secret"), include_secret=True),
    ])
    plain, secret = out.result("plain")["files"][0]["path"], out.result("secret")["files"][0]["path"]
    assert "sk-hidden-42" not in Path(plain).read_text()
    assert "sk-hidden-42" in Path(secret).read_text()
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert "sk-hidden-42" not in out.stdout + out.stderr


def test_plugin_daemon_down_writes_nothing(dify, tmp_path):
    seed_all(dify)
    dest = tmp_path / "apps"
    dest.mkdir()
    dify.plugin_daemon_up = False
    result = run(dify, [task("dify_app_export", dest=str(dest))]).result("t")
    assert result["failed"] is True
    assert "plugin daemon did not answer" in result["msg"] and "Failed to request plugin daemon" in result["msg"]
    assert os.listdir(str(dest)) == []


def test_prune_and_check_mode(dify, tmp_path):
    apps = seed_all(dify)
    dest = str(tmp_path / "apps")
    check = run(dify, [task("dify_app_export", dest=dest)], check=True).result("t")
    assert check["changed"] is True and not os.path.exists(dest)
    run(dify, [task("dify_app_export", dest=dest)])
    (tmp_path / "apps" / "README.md").write_text("kept")
    del dify.service.apps[apps[3].id]
    gone = os.path.join(dest, "faq-chat-%s.yml" % apps[3].id.replace("-", "")[:8])
    check = run(dify, [task("dify_app_export", dest=dest, prune=True)], check=True).result("t")
    assert check["changed"] is True and check["removed_files"] == [gone] and os.path.exists(gone)
    result = run(dify, [task("dify_app_export", dest=dest, prune=True)]).result("t")
    assert result["removed_files"] == [gone] and not os.path.exists(gone)
    assert os.path.exists(os.path.join(dest, "README.md"))


def test_info_lists_every_page_and_filters(dify):
    for index in range(130):
        dify.seed(CHAT_DSL.replace("faq-chat", "bot-%03d" % index))
    dify.seed((SOURCES / "echo-workflow.yml").read_text())
    dify.reset_counters()
    out = run(dify, [
        task("dify_app_info", title="all"),
        task("dify_app_info", title="workflows", modes=["workflow"]),
        task("dify_app_info", title="named", names=["bot-007"]),
        task("dify_app_info", title="contains", name_contains="BOT-12"),
    ], check=True)
    everything = out.result("all")["apps"]
    assert len(everything) == 131 and everything[0]["name"] == "basic_auto_test"
    assert [a["name"] for a in out.result("workflows")["apps"]] == ["basic_auto_test"]
    assert [a["name"] for a in out.result("named")["apps"]] == ["bot-007"]
    assert [a["name"] for a in out.result("contains")["apps"]] == ["bot-%03d" % i for i in range(120, 130)]
    assert out.result("all")["request_count"] == 3  # login and two pages of 100
    assert dify.write_requests() == []


def test_setup_first_run_then_ok():
    with FakeDifyConsole(setup_done=False, init_password="Init-pw-77") as fake:
        out = run(fake, [
            task("dify_setup", title="no init password"),
            task("dify_setup", title="wrong init password", init_password="nope"),
        ])
        # Dify 1.15's 401 carries no "code" (issue 17, item 2): the message still says what to set,
        # and nothing was posted to /setup.
        assert "sets INIT_PASSWORD" in out.result("no init password")["msg"]
        assert "set init_password" in out.result("no init password")["msg"]
        assert "refused the init password" in out.result("wrong init password")["msg"]
        assert fake.account is None

        fake.reset_counters()
        check = run(fake, [task("dify_setup", init_password="Init-pw-77")], check=True).result("t")
        assert check["changed"] is True and check["step"] == "not_started"
        assert fake.write_requests() == [] and fake.account is None

        out = run(fake, [
            task("dify_setup", title="setup", init_password="Init-pw-77", admin_name="Ops"),
            task("dify_setup", title="again", init_password="Init-pw-77", admin_name="Ops"),
            task("dify_app", title="login works", src=str(SOURCES / "echo-chat.yml")),
        ], verbosity=2)
        assert out.result("setup")["changed"] is True and out.result("setup")["step"] == "finished"
        assert fake.account == {"email": EMAIL, "password": PASSWORD, "name": "Ops"}
        assert out.result("again")["changed"] is False
        assert out.result("login works")["changed"] is True
        everything = out.stdout + out.stderr
        assert PASSWORD not in everything and "Init-pw-77" not in everything


def test_setup_checks_the_password_policy_before_any_request():
    with FakeDifyConsole(setup_done=False) as fake:
        result = run(fake, [task("dify_setup")], password="short").result("t")
        assert "does not meet Dify's policy" in result["msg"] and "short" not in result["msg"]
        assert fake.requests == []


def test_tls_with_an_internal_ca(tls_files):
    with FakeDifyConsole(email=EMAIL, password=PASSWORD, tls=(tls_files["cert"], tls_files["key"])) as fake:
        fake.seed(CHAT_DSL)
        refused = run(fake, [task("dify_app_info")]).result("t")
        assert refused["failed"] is True and "CERTIFICATE_VERIFY_FAILED" in refused["msg"], refused
        ok = run(fake, [task("dify_app_info")], ca_path=tls_files["ca"]).result("t")
        assert [a["name"] for a in ok["apps"]] == ["faq-chat"], ok
        # Over https Dify names its cookies __Host-*; the CSRF header must still match.
        assert any(r.path.endswith("/apps") and r.status == 200 for r in fake.requests)


class _LoginPage(http.server.BaseHTTPRequestHandler):
    """What a proxy such as OAuth2-Proxy answers in front of the console: an HTML sign-in page."""

    def _page(self):
        body = b"<html><body>Sign in with Keycloak</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args):
        pass


def test_a_proxy_in_front_of_the_console_is_named(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LoginPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proxy = types.SimpleNamespace(url="http://127.0.0.1:%d" % server.server_address[1])
        login = run(proxy, [task("dify_app_info", title="login"), task("dify_setup", title="setup")])
        api_key = run(proxy, [task("dify_app_info", title="api key")], email=None, password=None,
                      admin_api_key="k", workspace_id="w")
    finally:
        server.shutdown()
        server.server_close()
    for name, out in (("login", login), ("setup", login), ("api key", api_key)):
        msg = out.result(name)["msg"]
        assert "not the console API's JSON (HTTP 200, text/html)" in msg and "OAuth2-Proxy" in msg, msg
