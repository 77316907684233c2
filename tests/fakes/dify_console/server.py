"""A fake Dify 1.15 console API: stdlib http.server, threaded, on 127.0.0.1.

The Dify server cannot run here, so the modules are tested against this
stand-in, written from the upstream source (langgenius/dify, api/):

* controllers/console/setup.py and init_validate.py: ``GET/POST /setup``,
  ``GET/POST /init`` (the init password is remembered in the Flask session
  cookie). Their errors have the shape a real Dify 1.15 answered (issue 17):
  ``{"type", "message"}`` with a generic message and no ``code``, so a client
  can go only by the status;
* controllers/console/auth/login.py: ``POST /login`` wants the password
  base64-encoded and answers only ``{"result": "success"}`` with the tokens
  in cookies; ``POST /refresh-token`` renews them from the refresh cookie;
* libs/token.py: cookie names (``__Host-`` prefix and ``Secure`` when served
  over https), the CSRF rule (``X-CSRF-Token`` must equal the csrf cookie on
  every authenticated request, GET included; a Bearer token alone is
  refused);
* libs/login.py: ``ADMIN_API_KEY`` as a Bearer token plus ``X-WORKSPACE-ID``
  acts as the workspace owner and skips CSRF;
* controllers/console/app/app.py and services/app_service.py: the app list
  (page 1..99999, limit 1..100, mode filter, name as a case-insensitive
  substring of the first 30 characters with % and _ escaped, newest first), details, delete (204)
  and export (``{"data": yaml}``; the plugin daemon is called on every
  export; an unknown workflow is a 500);
* controllers/console/app/app_import.py: ``POST /apps/imports`` answers 200,
  202 (pending) or 400 (failed); ``POST /apps/imports/<id>/confirm``;
* controllers/console/app/app.py ``AppTraceApi`` and controllers/console/app/ops_trace.py
  ``TraceAppConfigApi``: ``GET/POST /apps/<id>/trace`` and
  ``GET/POST/PATCH/DELETE /apps/<id>/trace-config`` (see tracing_service.py);
* controllers/console/workspace/plugin.py: ``/workspaces/current/plugin/...`` list, upload/pkg,
  install/pkg, tasks/<id> and uninstall, with the plugin daemon behind them (plugin_daemon.py).

The import and export logic itself is in dsl_service.py. The fake records
every request so that tests can assert what was (not) sent, and has
switches for the failures a half-installed platform shows.
"""

import base64
import binascii
import collections
import http.server
import json
import re
import secrets
import socketserver
import ssl
import threading
import time
import uuid
from http import cookies as http_cookies
from urllib.parse import parse_qs, urlparse

from .dsl_service import DslService, PluginDaemonDown, WorkflowNotFound
from .errors import HttpError, SetupHttpError
from .plugin_daemon import PluginDaemon
from .tracing_service import TracingStore

API = "/console/api"
PASSWORD_RE = re.compile(r"^(?=.*[a-zA-Z])(?=.*\d).{8,}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
LIST_MODES = ("completion", "chat", "advanced-chat", "workflow", "agent-chat", "channel", "all")
# Requests that change state on the server. Login and refresh-token only open a session.
SESSION_PATHS = (API + "/login", API + "/refresh-token")

Request = collections.namedtuple("Request", "method path status")


def _unauthorized(message="Invalid token."):
    return HttpError(401, "unauthorized", message)


class FakeDifyConsole:
    """Start with :meth:`start` (or as a context manager); ``url`` is the base URL to give the modules."""

    def __init__(self, email="admin@example.com", password="Adm1nPassw0rd",  # noqa: S107 - a test account
                 name="Admin", setup_done=True, init_password=None, admin_api_key=None, current_dsl_version="0.6.0", tls=None,
                 access_token_max_uses=None):
        self.tenant_id = str(uuid.uuid4())
        self.account_id = str(uuid.uuid4())
        self.account = {"email": email, "password": password, "name": name} if setup_done else None
        self.setup_at = time.strftime("%Y-%m-%dT%H:%M:%S") if setup_done else None
        self.init_password = init_password
        self.admin_api_key = admin_api_key
        self.tls = tls
        self.access_token_max_uses = access_token_max_uses
        self.service = DslService(self.tenant_id, current_dsl_version)
        self.tracing = TracingStore()
        self.plugins = PluginDaemon(self.tenant_id)
        self.lock = threading.RLock()
        self.requests = []
        self.injected = []  # [method, path regex, status or None (drop the connection), times left]
        self.access_tokens = {}  # token -> uses left (None: unlimited)
        self.refresh_tokens = set()
        self.csrf_tokens = set()
        self.sessions = {}  # Flask session cookie -> {"is_init_validated": bool}
        self.failed_logins = 0
        self._server = None
        self._thread = None
        self.url = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self):
        handler = _handler_for(self)
        server = _Server(("127.0.0.1", 0), handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        host, port = server.server_address[:2]
        self.url = "%s://%s:%d" % ("https" if self.tls else "http", host, port)
        self._thread = threading.Thread(target=server.serve_forever, name="fake-dify", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def secure(self):
        return bool(self.tls)

    # -- switches and helpers for tests -----------------------------------------------------
    @property
    def plugin_daemon_up(self):
        return self.service.plugin_daemon_up

    @plugin_daemon_up.setter
    def plugin_daemon_up(self, value):
        self.service.plugin_daemon_up = value

    def inject(self, method, path_regex, status, times=1):
        """Answer the next ``times`` matching requests with ``status`` (None drops the connection)."""
        self.injected.append([method, re.compile(path_regex), status, times])

    def expire_access_tokens(self):
        with self.lock:
            self.access_tokens.clear()

    def seed(self, text, **overrides):
        """Import DSL ``text`` directly, without HTTP and without counting a request; returns the app."""
        payload = {"mode": "yaml-content", "yaml_content": text}
        payload.update(overrides)
        with self.lock:
            result = self.service.import_app(payload)
        assert result["status"] in ("completed", "completed-with-warnings"), result
        return self.service.apps[result["app_id"]]

    def apps_named(self, name):
        return [a for a in self.service.apps.values() if a.name == name]

    def export_text(self, app_id, include_secret=False):
        return self.service.export(self.service.apps[app_id], include_secret=include_secret)

    def counts_by_method(self):
        return collections.Counter(r.method for r in self.requests)

    def write_requests(self):
        """Requests that change something on the server (every non-GET except login and refresh-token)."""
        return [r for r in self.requests if r.method != "GET" and r.path not in SESSION_PATHS]

    def reset_counters(self):
        with self.lock:
            del self.requests[:]

    # -- request handling -------------------------------------------------------------------
    def _injected(self, method, path):
        for entry in self.injected:
            if entry[3] > 0 and entry[0] == method and entry[1].search(path):
                entry[3] -= 1
                return True, entry[2]
        return False, None

    def cookie_name(self, name):
        return "__Host-" + name if self.secure else name

    def set_cookie(self, name, value, http_only=True, max_age=3600):
        parts = ["%s=%s" % (self.cookie_name(name), value), "Path=/", "SameSite=Lax", "Max-Age=%d" % max_age]
        if http_only:
            parts.append("HttpOnly")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

    def issue_tokens(self):
        access, refresh, csrf = (secrets.token_hex(16) for _index in range(3))
        self.access_tokens[access] = self.access_token_max_uses
        self.refresh_tokens.add(refresh)
        self.csrf_tokens.add(csrf)
        return [
            self.set_cookie("access_token", access),
            self.set_cookie("refresh_token", refresh, max_age=30 * 86400),
            self.set_cookie("csrf_token", csrf, http_only=False),
        ]

    def authenticate(self, req):
        """login_required + check_csrf_token; returns who is calling."""
        header = req.headers.get("Authorization")
        if self.admin_api_key and header:
            scheme, _space, token = header.partition(" ")
            if not token or scheme.lower() != "bearer":
                raise _unauthorized("Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
            if token == self.admin_api_key and req.headers.get("X-WORKSPACE-ID") == self.tenant_id:
                return "api-key"
        access = req.cookie(self.cookie_name("access_token"))
        if not access and header and header.lower().startswith("bearer "):
            access = header.split(None, 1)[1]
        if not access or access not in self.access_tokens:
            raise _unauthorized()
        uses = self.access_tokens[access]
        if uses is not None:
            if uses <= 0:
                del self.access_tokens[access]
                raise _unauthorized("Token has expired.")
            self.access_tokens[access] = uses - 1
        csrf_header = req.headers.get("X-CSRF-Token")
        csrf_cookie = req.cookie(self.cookie_name("csrf_token"))
        if not csrf_header or csrf_header != csrf_cookie or csrf_header not in self.csrf_tokens:
            raise _unauthorized("CSRF token is missing or invalid.")
        return "session"

    def setup_required(self):
        if self.account is None:
            raise HttpError(401, "not_setup", "Dify has not been initialized and installed yet. "
                            "Please proceed with the initialization and installation process first.")

    def dispatch(self, req):
        routes = (
            ("GET", r"/setup", self.get_setup),
            ("POST", r"/setup", self.post_setup),
            ("GET", r"/init", self.get_init),
            ("POST", r"/init", self.post_init),
            ("POST", r"/login", self.post_login),
            ("POST", r"/refresh-token", self.post_refresh),
            ("GET", r"/apps", self.list_apps),
            ("POST", r"/apps/imports", self.post_import),
            ("POST", r"/apps/imports/(?P<import_id>[^/]+)/confirm", self.post_confirm),
            ("GET", r"/apps/(?P<app_id>%s)" % UUID_RE, self.get_app),
            ("DELETE", r"/apps/(?P<app_id>%s)" % UUID_RE, self.delete_app),
            ("GET", r"/apps/(?P<app_id>%s)/export" % UUID_RE, self.export_app),
            ("GET", r"/apps/(?P<app_id>%s)/trace" % UUID_RE, self.get_app_trace),
            ("POST", r"/apps/(?P<app_id>%s)/trace" % UUID_RE, self.post_app_trace),
            ("GET", r"/apps/(?P<app_id>%s)/trace-config" % UUID_RE, self.get_trace_config),
            ("POST", r"/apps/(?P<app_id>%s)/trace-config" % UUID_RE, self.post_trace_config),
            ("PATCH", r"/apps/(?P<app_id>%s)/trace-config" % UUID_RE, self.patch_trace_config),
            ("DELETE", r"/apps/(?P<app_id>%s)/trace-config" % UUID_RE, self.delete_trace_config),
            *((method, pattern, self._logged_in(handler)) for method, pattern, handler in self.plugins.routes()),
        )
        if not req.path.startswith(API + "/"):
            raise HttpError(404, "not_found", "The requested URL was not found on the server.")
        sub = req.path[len(API):]
        allowed = False
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, sub)
            if match:
                allowed = True
                if method == req.method:
                    return handler(req, **match.groupdict())
        if allowed:
            raise HttpError(405, "method_not_allowed", "The method is not allowed for the requested URL.")
        raise HttpError(404, "not_found", "The requested URL was not found on the server.")

    def _logged_in(self, handler):
        """setup_required, login_required and account_initialization_required, then the handler."""
        def wrapped(req, **groups):
            self.setup_required()
            self.authenticate(req)
            return handler(req, **groups)
        return wrapped

    # -- setup ------------------------------------------------------------------------------
    def get_setup(self, req):
        if self.account is not None:
            return 200, {"step": "finished", "setup_at": self.setup_at}
        return 200, {"step": "not_started"}

    def _init_validated(self, req):
        if not self.init_password:
            return True
        if self.account is not None:
            return True
        return self.sessions.get(req.cookie("session"), {}).get("is_init_validated", False)

    def get_init(self, req):
        return 200, {"status": "finished" if self._init_validated(req) else "not_started"}

    def post_init(self, req):
        if self.account is not None:
            raise SetupHttpError(403)
        password = (req.json() or {}).get("password")
        if not isinstance(password, str) or len(password) > 30:
            raise SetupHttpError(400, "password: at most 30 characters")
        session = req.cookie("session") or secrets.token_hex(16)
        self.sessions[session] = {"is_init_validated": password == self.init_password}
        cookie = "session=%s; Path=/; HttpOnly" % session
        if password != self.init_password:
            raise SetupHttpError(401)
        return 201, {"result": "success"}, [cookie]

    def post_setup(self, req):
        if self.account is not None:
            raise SetupHttpError(403)
        if not self._init_validated(req):
            raise SetupHttpError(401)
        body = req.json() or {}
        email, name, password = body.get("email"), body.get("name"), body.get("password")
        if not isinstance(email, str) or not EMAIL_RE.match(email):
            raise SetupHttpError(400, "email: value is not a valid email address")
        if not isinstance(name, str) or not name or len(name) > 30:
            raise SetupHttpError(400, "name: String should have at most 30 characters")
        if not isinstance(password, str) or not PASSWORD_RE.match(password):
            raise SetupHttpError(400, "Password must contain letters and numbers, and the length "
                                 "must be greater than 8.")
        self.account = {"email": email, "password": password, "name": name}
        self.setup_at = time.strftime("%Y-%m-%dT%H:%M:%S")
        return 201, {"result": "success"}

    # -- auth -------------------------------------------------------------------------------
    def post_login(self, req):
        self.setup_required()
        body = req.json() or {}
        try:
            password = base64.b64decode(body.get("password") or "", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            password = None
        if body.get("email") != self.account["email"] or password != self.account["password"]:
            self.failed_logins += 1
            raise HttpError(401, "authentication_failed", "Invalid email or password.")
        return 200, {"result": "success"}, self.issue_tokens()

    def post_refresh(self, req):
        token = req.cookie(self.cookie_name("refresh_token"))
        if not token:
            return 401, {"result": "fail", "message": "No refresh token provided"}
        if token not in self.refresh_tokens:
            return 401, {"result": "fail", "message": "Invalid refresh token"}
        self.refresh_tokens.discard(token)
        return 200, {"result": "success"}, self.issue_tokens()

    # -- apps -------------------------------------------------------------------------------
    def _app(self, app_id):
        app = self.service.apps.get(app_id)
        if app is None:
            raise HttpError(404, "app_not_found", "App not found.")
        return app

    def list_apps(self, req):
        self.setup_required()
        self.authenticate(req)
        query = req.query()
        try:
            page = int(query.get("page", "1"))
            limit = int(query.get("limit", "20"))
        except ValueError:
            raise HttpError(400, "invalid_param", "page and limit must be integers") from None
        if not 1 <= page <= 99999 or not 1 <= limit <= 100:
            raise HttpError(400, "invalid_param", "page must be 1..99999 and limit 1..100")
        mode = query.get("mode", "all")
        if mode not in LIST_MODES:
            raise HttpError(400, "invalid_param", "mode: invalid choice %r" % mode)
        apps = list(self.service.apps.values())
        if mode not in ("all", "channel"):
            apps = [a for a in apps if a.mode == mode]
        name = query.get("name")
        if name:
            # services/app_service.py: App.name.ilike(f"%{escape_like_pattern(name[:30])}%", escape="\\"),
            # so %, _ and \ in the filter are plain characters (libs/helper.py escape_like_pattern).
            needle = name[:30].lower()
            apps = [a for a in apps if needle in a.name.lower()]
        apps.sort(key=lambda a: a.created_at, reverse=True)
        start = (page - 1) * limit
        chunk = apps[start:start + limit]
        return 200, {
            "page": page, "limit": limit, "total": len(apps), "has_more": start + limit < len(apps),
            "data": [a.detail() for a in chunk],
        }

    def get_app(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        return 200, self._app(app_id).detail()

    def delete_app(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        self._app(app_id)
        del self.service.apps[app_id]
        self.tracing.forget_app(app_id)
        return 204, None

    def export_app(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        app = self._app(app_id)
        query = req.query()
        include_secret = query.get("include_secret", "false").lower() in ("true", "1")
        try:
            return 200, {"data": self.service.export(app, include_secret, query.get("workflow_id"))}
        except PluginDaemonDown as exc:
            raise HttpError(400, "invalid_param", str(exc)) from exc
        except (WorkflowNotFound, ValueError):
            raise HttpError(500, "internal_server_error", "The server encountered an internal error and was "
                            "unable to complete your request.") from None

    def post_import(self, req):
        self.setup_required()
        self.authenticate(req)
        body = req.json() or {}
        try:
            result = self.service.import_app(body)
        except ValueError as exc:
            raise HttpError(400, "invalid_param", str(exc)) from exc
        status = {"failed": 400, "pending": 202}.get(result["status"], 200)
        return status, result

    def post_confirm(self, req, import_id):
        self.setup_required()
        self.authenticate(req)
        result = self.service.confirm_import(import_id)
        return (400 if result["status"] == "failed" else 200), result

    # -- tracing ----------------------------------------------------------------------------
    def get_app_trace(self, req, app_id):
        # No get_app_model on this route upstream: a missing app is OpsTraceManager's ValueError.
        self.setup_required()
        self.authenticate(req)
        if app_id not in self.service.apps:
            raise HttpError(400, "invalid_param", "App not found")
        return 200, self.tracing.get_app_trace(app_id)

    def post_app_trace(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        return 200, self.tracing.set_app_trace(app_id, req.json(), app_exists=app_id in self.service.apps)

    def _provider_query(self, req):
        provider = req.query().get("tracing_provider")
        if provider is None:
            raise HttpError(400, "invalid_param", "1 validation error for TraceProviderQuery\ntracing_provider\n  "
                            "Field required [type=missing, input_value={}, input_type=dict]")
        return provider

    def get_trace_config(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        self._app(app_id)
        return 200, self.tracing.get_config(app_id, self._provider_query(req))

    def post_trace_config(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        self._app(app_id)
        return 200, self.tracing.create_config(app_id, req.json())

    def patch_trace_config(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        self._app(app_id)
        return 200, self.tracing.update_config(app_id, req.json())

    def delete_trace_config(self, req, app_id):
        self.setup_required()
        self.authenticate(req)
        self._app(app_id)
        self.tracing.delete_config(app_id, self._provider_query(req))
        return 204, None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that refuses the certificate, or hangs up, is part of what the tests do.
        pass


class _Request:
    def __init__(self, handler):
        self.handler = handler
        parsed = urlparse(handler.path)
        self.method = handler.command
        self.path = parsed.path
        self.raw_query = parsed.query
        self.headers = handler.headers
        length = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(length) if length else b""
        jar = http_cookies.SimpleCookie()
        if handler.headers.get("Cookie"):
            jar.load(handler.headers.get("Cookie"))
        self.cookies = {k: m.value for k, m in jar.items()}

    def cookie(self, name):
        return self.cookies.get(name)

    def query(self):
        return {k: v[-1] for k, v in parse_qs(self.raw_query, keep_blank_values=True).items()}

    def json(self):
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, "bad_request", "The browser (or proxy) sent a request that this server could "
                            "not understand.") from None


def _handler_for(fake):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def _handle(self):
            req = _Request(self)
            with fake.lock:
                injected, status = fake._injected(req.method, req.path)
                if injected and status is None:
                    fake.requests.append(Request(req.method, req.path, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if injected:
                    answer = (status, {"code": "injected", "message": "injected failure", "status": status})
                else:
                    try:
                        answer = fake.dispatch(req)
                    except HttpError as exc:
                        answer = (exc.status, exc.body)
                fake.requests.append(Request(req.method, req.path, answer[0]))
            status, body = answer[0], answer[1]
            set_cookies = answer[2] if len(answer) > 2 else []
            payload = b"" if status == 204 or body is None else json.dumps(body).encode("utf-8")
            self.send_response(status)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for cookie in set_cookies:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    return Handler
