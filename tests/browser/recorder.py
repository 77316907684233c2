"""A labelled stand-in for Dify's web and API on loopback: it records every request it gets.

Dify's server cannot be installed here, so the browser test ends at a
stand-in. It answers every path with a small HTML page that says it is a
stand-in and shows the identity headers OAuth2-Proxy sent, and keeps the
requests for the test to read.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IDENTITY_HEADERS = ("X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups",
                    "X-Forwarded-Preferred-Username")


class _Handler(BaseHTTPRequestHandler):
    def _answer(self):
        seen = {name: self.headers.get(name) for name in IDENTITY_HEADERS if self.headers.get(name) is not None}
        self.server.requests.append({"method": self.command, "path": self.path, "identity": seen})
        rows = "".join("<tr><th>%s</th><td id='%s'>%s</td></tr>" % (html.escape(k), html.escape(k.lower()), html.escape(v))
                       for k, v in seen.items())
        body = ("<!doctype html><title>STAND-IN %s</title><h1>STAND-IN for %s</h1>"
                "<p>Not Dify: a test stand-in that records what OAuth2-Proxy sends.</p>"
                "<table>%s</table>" % (self.server.component, self.server.component, rows)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class Recorder:
    """One stand-in server on 127.0.0.1, named after the component it stands in for."""

    def __init__(self, component):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.component = component
        self.server.requests = []
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server.server_port

    @property
    def requests(self):
        return list(self.server.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
