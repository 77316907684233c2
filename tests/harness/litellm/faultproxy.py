"""A small HTTP proxy in front of LiteLLM that records every request and injects server errors.

The modules under test talk to the proxy instead of LiteLLM. A test arms a
fault with :meth:`FaultProxy.fail`, runs a playbook, and reads
:meth:`FaultProxy.requests` to see what the module really sent.

``fail("POST", "/key/generate", after=3, status=500)`` lets the first three
matching requests through and answers every later one with HTTP 500 (without
forwarding it), so a module's bounded retries cannot get past it; ``times=1``
fails only one request, which a retry absorbs. ``forward=True`` sends the
request on to LiteLLM first, so the work is done and only the answer is lost:
replaced by ``status``, or, with ``status=None``, by a connection closed
without any answer.
"""

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = frozenset(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailers", "transfer-encoding", "upgrade", "content-length"])


class Record:
    def __init__(self, method, path, status, injected):
        self.method = method
        self.path = path
        self.status = status
        self.injected = injected

    def __repr__(self):
        return "<%s %s -> %s%s>" % (self.method, self.path, self.status, " (injected)" if self.injected else "")


class Fault:
    def __init__(self, method, path, after, times, status, forward=False):
        self.method = method
        self.path = path
        self.after = after
        self.times = times  # None: every later request
        self.status = status  # None: close the connection without an answer
        self.forward = forward
        self.seen = 0
        self.injected = 0

    def matches(self, method, path):
        return method == self.method and urllib.parse.urlsplit(path).path == self.path

    def fire(self):
        """Count one matching request; True when it should be failed."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.injected >= self.times:
            return False
        self.injected += 1
        return True


class FaultProxy:
    def __init__(self, upstream):
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self._records = []
        self._faults = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def reset(self):
        with self._lock:
            self._records = []
            self._faults = []

    def fail(self, method, path, after=0, times=None, status=500, forward=False):
        """Answer matching requests with ``status`` once ``after`` of them went through
        (after forwarding them when ``forward``; ``status=None`` drops the connection)."""
        with self._lock:
            self._faults.append(Fault(method, path, after, times, status, forward))

    def requests(self, method=None, path=None):
        with self._lock:
            records = list(self._records)
        return [r for r in records if (method is None or r.method == method)
                and (path is None or urllib.parse.urlsplit(r.path).path == path)]

    def _decide(self, method, path):
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path) and fault.fire():
                    return fault
        return None

    def _record(self, record):
        with self._lock:
            self._records.append(record)

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._decide(self.command, self.path)
                if fault is not None and fault.forward:
                    self._forward(body)  # LiteLLM does the work; its answer is thrown away
                if fault is not None and fault.status is None:
                    proxy._record(Record(self.command, self.path, 0, True))
                    self.close_connection = True
                    return
                injected = fault.status if fault is not None else None
                if injected is not None:
                    payload = b'{"error": {"message": "injected by the test fault proxy", "code": "%d"}}' % injected
                    self.send_response(injected)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    proxy._record(Record(self.command, self.path, injected, True))
                    return
                status, response_headers, data = self._forward(body)
                self.send_response(status)
                for key, value in response_headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                proxy._record(Record(self.command, self.path, status, False))

            def _forward(self, body):
                headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP)
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=300)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    return response.status, response.getheaders(), response.read()
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay

        return Handler
