"""The fake console API follows Dify's rules: checked here over plain HTTP, without the modules."""

import base64
import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

import pytest
import yaml

from dify_support import CHAT_DSL, EMAIL, EXPORTS, PASSWORD, SOURCES

API = "/console/api"

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures


class Session:
    def __init__(self, fake):
        self.fake = fake
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self):
        return next((c.value for c in self.jar if c.name.endswith("csrf_token")), None)

    def call(self, method, path, body=None, headers=None, csrf=True):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.fake.url + API + path, data=data, method=method)  # noqa: S310 - http://127.0.0.1
        request.add_header("Content-Type", "application/json")
        if csrf and self.csrf():
            request.add_header("X-CSRF-Token", self.csrf())
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with self.opener.open(request) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def login(self, password=PASSWORD, encode=True):
        value = base64.b64encode(password.encode()).decode() if encode else password
        return self.call("POST", "/login", {"email": EMAIL, "password": value})


def test_export_reserialises_exactly_like_dify_1_15(dify):
    for name in ("basic_chatflow", "echo-chat"):
        app = dify.seed((SOURCES / (name + ".yml")).read_text())
        assert dify.export_text(app.id) == (EXPORTS / ("exported-" + name + ".yml")).read_text()


def test_login_wants_base64_and_sets_only_cookies(dify):
    session = Session(dify)
    assert session.login(encode=False)[0] == 401
    status, body = session.login()
    assert (status, body) == (200, {"result": "success"})
    assert sorted(c.name for c in session.jar) == ["access_token", "csrf_token", "refresh_token"]


def test_every_call_needs_the_csrf_header(dify):
    session = Session(dify)
    session.login()
    assert session.call("GET", "/apps", csrf=False)[0] == 401
    assert session.call("GET", "/apps")[0] == 200
    access = next(c.value for c in session.jar if c.name == "access_token")
    bare = Session(dify)
    assert bare.call("GET", "/apps", headers={"Authorization": "Bearer " + access})[0] == 401


def test_admin_api_key_skips_csrf(dify):
    dify.admin_api_key = "admin-key-123"
    bare = Session(dify)
    ok = {"Authorization": "Bearer admin-key-123", "X-WORKSPACE-ID": dify.tenant_id}
    assert bare.call("GET", "/apps", headers=ok)[0] == 200
    assert bare.call("GET", "/apps", headers=dict(ok, **{"X-WORKSPACE-ID": "other"}))[0] == 401
    assert bare.call("GET", "/apps", headers=dict(ok, Authorization="Bearer wrong"))[0] == 401


def test_list_pagination_and_filters(dify):
    for index in range(105):
        dify.seed(CHAT_DSL.replace("faq-chat", "app-%03d" % index))
    dify.seed((SOURCES / "echo-workflow.yml").read_text())
    session = Session(dify)
    session.login()
    status, page1 = session.call("GET", "/apps?page=1&limit=100")
    assert status == 200 and page1["has_more"] is True and len(page1["data"]) == 100 and page1["total"] == 106
    assert page1["data"][0]["name"] == "basic_auto_test"  # newest first
    status, page2 = session.call("GET", "/apps?page=2&limit=100")
    assert page2["has_more"] is False and len(page2["data"]) == 6
    assert session.call("GET", "/apps?limit=101")[0] == 400
    assert session.call("GET", "/apps?mode=workflow")[1]["total"] == 1
    assert session.call("GET", "/apps?name=APP-00")[1]["total"] == 10  # substring, any case


def test_import_status_table_and_overwrite_rule(dify):
    session = Session(dify)
    session.login()
    workflow = (SOURCES / "echo-workflow.yml").read_text()
    status, done = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": workflow})
    assert (status, done["status"]) == (200, "completed")
    old = (SOURCES / "basic_chatflow.yml").read_text()
    assert session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": old})[1]["status"] == (
        "completed-with-warnings")
    newer = workflow.replace("version: 0.6.0", "version: 0.7.0")
    status, pending = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": newer})
    assert (status, pending["status"], pending["imported_dsl_version"]) == (202, "pending", "0.7.0")
    status, confirmed = session.call("POST", "/apps/imports/%s/confirm" % pending["id"])
    assert (status, confirmed["status"]) == (200, "completed")
    assert session.call("POST", "/apps/imports/%s/confirm" % pending["id"])[0] == 400  # used up
    chat = dify.seed(CHAT_DSL)
    status, refused = session.call("POST", "/apps/imports",
                                   {"mode": "yaml-content", "yaml_content": CHAT_DSL, "app_id": chat.id})
    assert (status, refused["error"]) == (400, "Only workflow or advanced chat apps can be overwritten")
    status, big = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": "x" * (10 * 2 ** 20 + 1)})
    assert (status, big["error"]) == (400, "File size exceeds the limit of 10MB")


def test_pending_imports_expire(dify):
    session = Session(dify)
    session.login()
    newer = (SOURCES / "echo-workflow.yml").read_text().replace("version: 0.6.0", "version: 1.0.0")
    pending = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": newer})[1]
    dify.service.pending_ttl = -1
    dify.service.pending[pending["id"]] = (0, dify.service.pending[pending["id"]][1])
    status, expired = session.call("POST", "/apps/imports/%s/confirm" % pending["id"])
    assert (status, expired["error"]) == (400, "Import information expired or does not exist")


def test_export_needs_the_plugin_daemon_and_hides_secrets(dify):
    text = (SOURCES / "echo-workflow.yml").read_text().replace(
        "  environment_variables: []",
        "  environment_variables:\n    - {name: key, value: s3cret, value_type: secret}")
    app = dify.seed(text)
    session = Session(dify)
    session.login()
    status, body = session.call("GET", "/apps/%s/export?include_secret=false" % app.id)
    env = yaml.safe_load(body["data"])["workflow"]["environment_variables"][0]
    assert env["value"] == "" and env["selector"] == ["env", "key"] and env["id"]
    status, body = session.call("GET", "/apps/%s/export?include_secret=true" % app.id)
    assert yaml.safe_load(body["data"])["workflow"]["environment_variables"][0]["value"] == "s3cret"
    dify.plugin_daemon_up = False
    status, body = session.call("GET", "/apps/%s/export" % app.id)
    assert status == 400 and "Failed to request plugin daemon" in body["message"]
    dify.plugin_daemon_up = True
    assert session.call("GET", "/apps/%s/export?workflow_id=nope" % app.id)[0] == 500


def test_setup_and_init_password():
    from fakes.dify_console import FakeDifyConsole

    with FakeDifyConsole(setup_done=False, init_password="init-pw") as fake:
        session = Session(fake)
        assert session.call("GET", "/setup")[1] == {"step": "not_started"}
        assert session.login()[0] == 401  # not set up yet
        body = {"email": EMAIL, "name": "Admin", "password": PASSWORD}
        # Dify 1.15's shape for /setup and /init errors: no "code" (issue 17, item 2).
        assert session.call("POST", "/setup", body) == (401, {"type": "authentication_error", "message": "Unauthorized"})
        assert session.call("GET", "/init")[1] == {"status": "not_started"}
        assert session.call("POST", "/init", {"password": "wrong"}) == (
            401, {"type": "authentication_error", "message": "Unauthorized"})
        assert session.call("POST", "/init", {"password": "init-pw"})[0] == 201
        assert session.call("POST", "/setup", dict(body, password="short"))[0] == 400
        assert session.call("POST", "/setup", body)[0] == 201
        assert session.call("POST", "/setup", body) == (403, {"type": "permission_error", "message": "Forbidden"})
        assert session.login()[0] == 200


@pytest.mark.parametrize("dsl", ["app:\n  name: x\n  mode: workflow\n", "version: 0.6\napp: {name: x, mode: workflow}\n"])
def test_upstream_quirks_that_the_module_guards_against(dify, dsl):
    # A workflow DSL without `workflow`, or with a numeric version: Dify answers failed, and for
    # the first one the app was already created (the session is committed anyway).
    session = Session(dify)
    session.login()
    status, body = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": dsl})
    assert status == 400 and body["status"] == "failed"
