"""A fake Harbor: the v2.0 project and robot API, its token service, and /v2/ in front of a real registry.

Harbor cannot run here. The module and the mirror role are tested against this
stand-in (rules in model.py, written from goharbor/harbor api/v2.0/swagger.yaml):

* ``/api/v2.0/projects`` (GET list with ``name``/``q``/``page``/``page_size``,
  HEAD ``?project_name=``, POST ``ProjectReq`` -> 201 + Location),
  ``/api/v2.0/projects/{project_name_or_id}`` (GET, PUT, DELETE; the
  ``X-Is-Resource-Name`` header says whether a numeric value is a name);
* ``/api/v2.0/robots`` (GET list with ``q``, POST ``RobotCreate`` -> 201
  ``RobotCreated``), ``/api/v2.0/robots/{robot_id}`` (GET, PUT ``Robot``,
  PATCH ``RobotSec``, DELETE);
* Basic authentication on the API (admin or ``robot$...``), 401 otherwise;
* the registry the way Harbor serves it: ``/v2/`` answers 401 with a Bearer
  challenge whose realm is ``/service/token``; the token service authenticates
  Basic credentials (users and robots) and grants the requested
  ``repository:<project>/<repo>:pull,push`` actions the principal holds; a
  request into a project that does not exist is refused with 404
  ``project ... not found``, so a push into a missing project fails as on
  Harbor; everything else is proxied, streamed, to the real registry behind
  with that registry's own credentials. Successful manifest pushes are counted
  as the project's repositories (``repo_count``, and DELETE answers 412).

Switches for tests: ``blob_delay`` (seconds to wait before proxying each blob
request, to interrupt a copy half-way) and ``requests`` (what was asked).
"""

import base64
import binascii
import http.client
import http.server
import json
import secrets
import socketserver
import ssl
import threading
import time
from urllib.parse import parse_qs, quote, unquote, urlparse

from .model import Harbor, HarborError

API = "/api/v2.0"
SERVICE = "harbor-registry"
CHUNK = 1 << 20
HOP_HEADERS = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "host", "authorization", "content-length"}


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _parse_q(text):
    """Harbor's ``q`` query: ``k=v`` (exact), ``k=~v`` (fuzzy), comma-separated."""
    result = []
    for part in (text or "").split(","):
        if "=" not in part:
            continue
        key, value = part.split("=", 1)
        fuzzy = value.startswith("~")
        result.append((key.strip().lower(), value[1:] if fuzzy else value, fuzzy))
    return result


def _matches(obj, query):
    for key, value, fuzzy in query:
        field = {"projectid": "project_id"}.get(key, key)
        actual = str(obj.get(field, ""))
        if fuzzy and value not in actual:
            return False
        if not fuzzy and actual != value:
            return False
    return True


class FakeHarbor:
    """Start with :meth:`start`; ``url`` is ``https://127.0.0.1:<port>``."""

    def __init__(self, backend_url, backend_username, backend_password, backend_ca, cert, key,
                 admin_password="Harbor12345"):  # noqa: S107 - the fake's default, like Harbor's
        self.backend = urlparse(backend_url)
        self.backend_auth = "Basic " + base64.b64encode(("%s:%s" % (backend_username, backend_password)).encode()).decode()
        self.backend_context = ssl.create_default_context(cafile=str(backend_ca))
        self.cert, self.key = str(cert), str(key)
        self.harbor = Harbor(admin_password)
        self.admin_password = admin_password
        self.tokens = {}
        self.blob_delay = 0.0
        self.requests = []
        self.httpd = None
        self.thread = None
        self._local = threading.local()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            harbor_fake = fake

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def host(self):
        return "127.0.0.1:%d" % self.httpd.server_address[1]

    @property
    def url(self):
        return "https://%s" % self.host

    # -- helpers for tests -------------------------------------------------------------------
    def project(self, name):
        with self.harbor.lock:
            project = self.harbor.projects.get(name)
            return None if project is None else self.harbor.project_view(project)

    def robot(self, full_name):
        with self.harbor.lock:
            for robot in self.harbor.robots.values():
                if self.harbor.robot_name(robot) == full_name:
                    return dict(robot)
        return None

    def backend_connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPSConnection(self.backend.hostname, self.backend.port, context=self.backend_context,
                                               timeout=120)
            self._local.conn = conn
        return conn

    def drop_backend_connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    harbor_fake = None

    def log_message(self, format, *args):
        pass

    # -- plumbing ----------------------------------------------------------------------------
    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=None, headers=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        if body is not None and not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, exc):
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="harbor"'
        self._send(exc.status, exc.body(), headers)

    def _principal(self):
        """(principal or None, credentials_given)."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None, False
        try:
            user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, True
        return self.harbor_fake.harbor.authenticate(user, password), True

    def _record(self, status_hint=None):
        self.harbor_fake.requests.append((self.command, self.path, status_hint))

    def _dispatch(self):
        path = urlparse(self.path).path
        self._record()
        try:
            if path.startswith(API + "/"):
                self._api(path[len(API):])
            elif path == "/service/token":
                self._token()
            elif path == "/v2" or path.startswith("/v2/"):
                self._registry(path)
            else:
                raise HarborError(404, "NOT_FOUND", "not found")
        except HarborError as exc:
            self._error(exc)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    # -- /api/v2.0 ---------------------------------------------------------------------------
    def _api(self, path):
        harbor = self.harbor_fake.harbor
        principal, given = self._principal()
        if given and principal is None:
            self._read_body()
            raise HarborError(401, "UNAUTHORIZED", "UnAuthorized")
        query = parse_qs(urlparse(self.path).query)
        body = self._read_body()
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            raise HarborError(400, "BAD_REQUEST", "invalid JSON body") from None
        parts = [unquote(p) for p in path.strip("/").split("/")]
        is_name = self.headers.get("X-Is-Resource-Name", "false").lower() == "true"
        if parts[0] == "projects":
            self._projects(harbor, principal, parts[1:], query, req, is_name)
        elif parts[0] == "robots":
            self._robots(harbor, principal, parts[1:], query, req)
        else:
            raise HarborError(404, "NOT_FOUND", "not found")

    def _page(self, items, query):
        page = int((query.get("page") or ["1"])[0])
        size = int((query.get("page_size") or ["10"])[0])
        if page < 1 or size < 1 or size > 100:
            raise HarborError(400, "BAD_REQUEST", "page must be >= 1 and page_size between 1 and 100")
        total = len(items)
        chunk = items[(page - 1) * size: page * size]
        headers = {"X-Total-Count": str(total)}
        links = []
        base = urlparse(self.path).path
        if page * size < total:
            links.append('<%s?page=%d&page_size=%d>; rel="next"' % (base, page + 1, size))
        if page > 1:
            links.append('<%s?page=%d&page_size=%d>; rel="prev"' % (base, page - 1, size))
        if links:
            headers["Link"] = ", ".join(links)
        self._send(200, chunk, headers)

    def _projects(self, harbor, principal, rest, query, req, is_name):
        if not rest:
            if self.command == "HEAD":
                name = (query.get("project_name") or [""])[0]
                if not name:
                    raise HarborError(400, "BAD_REQUEST", "project_name is required")
                return self._send(200 if name in harbor.projects else 404)
            if self.command == "GET":
                with harbor.lock:
                    views = [harbor.project_view(p) for p in sorted(harbor.projects.values(), key=lambda p: p["project_id"])]
                name = (query.get("name") or [None])[0]
                if name is not None:
                    views = [v for v in views if v["name"] == name]
                views = [v for v in views if _matches(v, _parse_q((query.get("q") or [""])[0]))]
                if principal is None:
                    views = [v for v in views if v["metadata"].get("public") == "true"]
                return self._page(views, query)
            if self.command == "POST":
                project = harbor.create_project(principal, req)
                in_location = self.headers.get("X-Resource-Name-In-Location", "false").lower() == "true"
                ref = project["name"] if in_location else str(project["project_id"])
                return self._send(201, b"", {"Location": "%s/projects/%s" % (API, ref)})
            raise HarborError(405, "METHOD_NOT_ALLOWED", "method not allowed")
        if len(rest) != 1:
            raise HarborError(404, "NOT_FOUND", "not found")
        project = harbor.find_project(rest[0], is_name)
        if principal is None and project["metadata"].get("public") != "true":
            raise HarborError(401, "UNAUTHORIZED", "UnAuthorized")
        if self.command == "GET":
            return self._send(200, harbor.project_view(project))
        if self.command == "PUT":
            harbor.update_project(principal, project, req)
            return self._send(200, b"")
        if self.command == "DELETE":
            harbor.delete_project(principal, project)
            return self._send(200, b"")
        raise HarborError(405, "METHOD_NOT_ALLOWED", "method not allowed")

    def _robots(self, harbor, principal, rest, query, req):
        if principal is None:
            raise HarborError(401, "UNAUTHORIZED", "UnAuthorized")
        if not rest:
            if self.command == "GET":
                if not principal["admin"]:
                    raise HarborError(403, "FORBIDDEN", "forbidden")
                q = _parse_q((query.get("q") or [""])[0])
                with harbor.lock:
                    robots = sorted(harbor.robots.values(), key=lambda r: r["id"])
                    views = [harbor.robot_view(r) for r in robots if _matches(r, q)]
                return self._page(views, query)
            if self.command == "POST":
                robot = harbor.create_robot(principal, req)
                return self._send(201, {"id": robot["id"], "name": harbor.robot_name(robot), "secret": robot["secret"],
                                        "creation_time": robot["creation_time"], "expires_at": robot["expires_at"]},
                                  {"Location": "%s/robots/%d" % (API, robot["id"])})
            raise HarborError(405, "METHOD_NOT_ALLOWED", "method not allowed")
        if len(rest) != 1 or not rest[0].isdigit():
            raise HarborError(400, "BAD_REQUEST", "robot_id must be an integer")
        robot = harbor.get_robot(int(rest[0]))
        if not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        if self.command == "GET":
            return self._send(200, harbor.robot_view(robot))
        if self.command == "PUT":
            harbor.update_robot(principal, robot, req)
            return self._send(200, b"")
        if self.command == "PATCH":
            return self._send(200, {"secret": harbor.refresh_secret(principal, robot, req)})
        if self.command == "DELETE":
            harbor.delete_robot(principal, robot)
            return self._send(200, b"")
        raise HarborError(405, "METHOD_NOT_ALLOWED", "method not allowed")

    # -- token service -----------------------------------------------------------------------
    def _token(self):
        fake = self.harbor_fake
        principal, given = self._principal()
        if given and principal is None:
            raise HarborError(401, "UNAUTHORIZED", "authentication failed")
        query = parse_qs(urlparse(self.path).query)
        granted = {}
        for scope in query.get("scope", []):
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            repo, actions = ":".join(parts[1:-1]), parts[-1].split(",")
            project = repo.split("/", 1)[0]
            with fake.harbor.lock:
                if project not in fake.harbor.projects:
                    continue  # Harbor grants nothing in a project that does not exist
                allowed = [a for a in actions if a in ("pull", "push", "delete", "*")
                           and fake.harbor.allowed(principal, project, "pull" if a == "*" else a)]
            granted[repo] = set(allowed)
        token = secrets.token_urlsafe(24)
        fake.tokens[token] = {"principal": principal, "access": granted, "expires": time.time() + 1800}
        self._send(200, {"token": token, "access_token": token, "expires_in": 1800,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    # -- /v2/ --------------------------------------------------------------------------------
    def _challenge(self, scope=None):
        realm = 'Bearer realm="%s/service/token",service="%s"' % (self.harbor_fake.url, SERVICE)
        if scope:
            realm += ',scope="%s"' % scope
        body = {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized to access repository", "detail": None}]}
        self._read_body()
        self._send(401, body, {"WWW-Authenticate": realm, "Docker-Distribution-Api-Version": "registry/2.0"})

    def _registry(self, path):
        fake = self.harbor_fake
        header = self.headers.get("Authorization", "")
        grant = fake.tokens.get(header[7:]) if header.startswith("Bearer ") else None
        if grant is not None and grant["expires"] < time.time():
            grant = None
        if path in ("/v2", "/v2/"):
            if grant is None:
                return self._challenge()
            return self._send(200, {}, {"Docker-Distribution-Api-Version": "registry/2.0"})
        if path == "/v2/_catalog":
            raise HarborError(403, "DENIED", "catalog is not served by the fake")
        repo, kind = self._split_repo(path)
        project = repo.split("/", 1)[0]
        with fake.harbor.lock:
            exists = project in fake.harbor.projects
        if not exists:
            self._read_body()
            raise HarborError(404, "NOT_FOUND", "project %s not found" % project)
        action = "pull" if self.command in ("GET", "HEAD") else ("delete" if self.command == "DELETE" else "push")
        if grant is None or action not in grant["access"].get(repo, ()):
            return self._challenge("repository:%s:%s" % (repo, "pull,push" if action == "push" else action))
        mount_from = (parse_qs(urlparse(self.path).query).get("from") or [None])[0]
        if mount_from and "pull" not in grant["access"].get(mount_from, ()):
            # Like a registry: a mount the token does not cover becomes a normal upload.
            self.path = self.path.split("?", 1)[0]
        if kind == "blobs" and fake.blob_delay:
            time.sleep(fake.blob_delay)
        self._proxy(repo, kind)

    @staticmethod
    def _split_repo(path):
        rest = path[len("/v2/"):]
        for marker in ("/blobs/uploads", "/blobs/", "/manifests/", "/tags/", "/referrers/"):
            index = rest.find(marker)
            if index > 0:
                return rest[:index], marker.strip("/").split("/", maxsplit=1)[0]
        raise HarborError(404, "NOT_FOUND", "not found")

    def _proxy(self, repo, kind):
        fake = self.harbor_fake
        body = self._read_body() if self.command in ("POST", "PUT", "PATCH") else None
        headers = {}
        for key, value in self.headers.items():  # a client may repeat a header (skopeo sends one Accept per type)
            if key.lower() not in HOP_HEADERS:
                headers[key] = "%s, %s" % (headers[key], value) if key in headers else value
        headers["Authorization"] = fake.backend_auth
        headers["Host"] = fake.backend.netloc
        if body is not None:
            headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):
            conn = fake.backend_connection()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                fake.drop_backend_connection()
                if attempt == 2:
                    raise HarborError(502, "BAD_GATEWAY", "registry unreachable") from None
        self.send_response(resp.status)
        length = resp.getheader("Content-Length")
        for key, value in resp.getheaders():
            if key.lower() in HOP_HEADERS:
                continue
            if key.lower() == "location" and value.startswith("http"):
                value = "/" + value.split("/", 3)[3]
            self.send_header(key, value)
        if length is not None:
            self.send_header("Content-Length", length)
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if self.command == "HEAD":
            resp.read()
        else:
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                if length is not None:
                    self.wfile.write(chunk)
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if length is None:
                self.wfile.write(b"0\r\n\r\n")
        if resp.getheader("Connection", "").lower() == "close":
            fake.drop_backend_connection()
        if kind == "manifests" and self.command == "PUT" and resp.status == 201:
            with fake.harbor.lock:
                project = fake.harbor.projects.get(repo.split("/", 1)[0])
                if project is not None:
                    project["repositories"].add(repo)


def quote_repo(repo):
    """Harbor's API wants a repository name with slashes double-encoded (a/b -> a%252Fb)."""
    return quote(quote(repo, safe=""), safe="")
