"""The portal page on loopback: the files the portal role renders, served read-only, with OAuth2-Proxy's userinfo.

A stand-in for the pod's two containers, labelled as such: it serves the
ConfigMap's files (GET and HEAD only; anything else is 405) the way the static
web server does, and answers ``/oauth2/userinfo`` with a fixed identity in the
shape OAuth2-Proxy v7.15.2 gives it (oauthproxy.go ``UserInfo``: user, email,
groups, preferredUsername). Every request is recorded for the test to read.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.server.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        if path == "/oauth2/userinfo":
            self._send(200, json.dumps(self.server.identity).encode(), "application/json")
            return
        name = "index.html" if path == "/" else path.lstrip("/")
        target = (self.server.root / name).resolve()
        if self.server.root not in target.parents or not target.is_file():
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, target.read_bytes(), mimetypes.guess_type(name)[0] or "application/octet-stream")

    do_HEAD = do_GET

    def do_POST(self):
        self._send(405, b"read-only", "text/plain")


class PortalServer:
    """``with PortalServer(files, identity) as server: server.url``: the page's files, served on 127.0.0.1."""

    def __init__(self, files, identity):
        self.files = files
        self.identity = identity
        self._server = None
        self._thread = None

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.root = Path(self.files).resolve()
        self._server.identity = self.identity
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    @property
    def requests(self):
        return self._server.requests

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
