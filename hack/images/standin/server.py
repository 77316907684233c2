"""STAND-IN server for a platform component that cannot be built here.

It is not the component. It listens on the component's ports, answers every
HTTP request (its health paths included) with 200 and a JSON body saying it
is a stand-in, and records each request (method, path, query keys, body size,
and the identity headers OAuth2-Proxy sets in front of Dify; never other
header values, cookies or bodies, which may hold secrets) as one JSON line on
stdout and in $STANDIN_RECORD. GET /__stand_in__/requests returns the record.

The component comes from $STANDIN_COMPONENT (set in each stand-in image);
ports come from the env names the real images read, with their defaults:

  dify-api            DIFY_PORT 5001 (/health); MODE=worker or beat listen on nothing
  dify-web            PORT 3000
  dify-plugin-daemon  SERVER_PORT 5002 (/health/check)
  dify-sandbox        SANDBOX_PORT 8194 (/health)
  langfuse            PORT 3000 (/api/public/health, /api/public/ready)
  langfuse-worker     PORT 3030 (/api/health)
  clickhouse          8123 (HTTP, /ping answers "Ok.") and 9000 (native: accepted, then closed)

Python standard library only.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COMPONENTS = {
    "dify-api": {"http": [("DIFY_PORT", 5001)]},
    "dify-web": {"http": [("PORT", 3000)]},
    "dify-plugin-daemon": {"http": [("SERVER_PORT", 5002)]},
    "dify-sandbox": {"http": [("SANDBOX_PORT", 8194)]},
    "langfuse": {"http": [("PORT", 3000)]},
    "langfuse-worker": {"http": [("PORT", 3030)]},
    "clickhouse": {"http": [("CLICKHOUSE_HTTP_PORT", 8123)], "tcp": [("CLICKHOUSE_TCP_PORT", 9000)]},
}
# The identity OAuth2-Proxy passes upstream (its --pass-user-headers, on by default with
# --reverse-proxy: oauth2-proxy v7 pkg/middleware/headers.go). Names of people, not credentials:
# X-Forwarded-Access-Token, Authorization and Cookie are never recorded.
IDENTITY_HEADERS = ("X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username")
# Processes of a component that serve nothing: they only stay up (and say so).
IDLE_MODES = {"dify-api": ("worker", "beat")}

_LOCK = threading.Lock()
_RECORD = []


def component():
    name = os.environ.get("STANDIN_COMPONENT", "")
    if name not in COMPONENTS:
        raise SystemExit("STAND-IN: STANDIN_COMPONENT must be one of %s (got %r)" % (", ".join(sorted(COMPONENTS)), name))
    return name


def ports(name, env=None):
    """{"http": [port, ...], "tcp": [port, ...]} for ``name`` from ``env``."""
    env = os.environ if env is None else env
    return {kind: [int(env.get(var) or default) for var, default in COMPONENTS[name].get(kind, [])]
            for kind in ("http", "tcp")}


def record(entry):
    entry = dict(entry, time=round(time.time(), 3), stand_in=True)
    line = json.dumps(entry, sort_keys=True)
    with _LOCK:
        _RECORD.append(entry)
        print(line, flush=True)
        path = os.environ.get("STANDIN_RECORD", "/tmp/stand-in-requests.jsonl")  # noqa: S108 - an emptyDir in the pod
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError:
            pass


def make_handler(name):
    class Handler(BaseHTTPRequestHandler):
        server_version = "airgap-dify-platform-stand-in"

        def _answer(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            entry = {"component": name, "port": self.server.server_address[1], "method": self.command,
                     "path": url.path, "query_keys": sorted(parse_qs(url.query)), "body_bytes": length}
            identity = {header: self.headers[header] for header in IDENTITY_HEADERS if header in self.headers}
            if identity:
                entry["identity"] = identity
            record(entry)
            if url.path == "/__stand_in__/requests":
                with _LOCK:
                    body = json.dumps(_RECORD).encode()
                ctype = "application/json"
            elif name == "clickhouse" and url.path == "/ping":
                body, ctype = b"Ok.\n", "text/plain"
            else:
                body = json.dumps({"stand_in": True, "component": name, "path": url.path,
                                   "status": "ok"}).encode()
                ctype = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Stand-In", name)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

        def log_message(self, format, *args):
            return  # every request is recorded as JSON instead

    return Handler


def serve_tcp(name, port):
    sock = socket.socket(socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))  # noqa: S104 - a pod listens on its own address
    sock.listen(16)
    while True:
        conn, _addr = sock.accept()
        record({"component": name, "port": port, "method": "TCP", "path": "", "query_keys": [], "body_bytes": 0})
        conn.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True


def run_flask(args, env=None):
    """STAND-IN behaviour of `flask <command>`: exit 0, unless $STANDIN_MIGRATION_FAIL is set and the
    command is `upgrade-db`; then it says so on stderr, as Dify's own `upgrade-db` says
    "Database migration failed: <error>" before it exits 1 (langgenius/dify api/commands/database.py,
    commit c5453e16), and exits 1. The upgrade test (tests/integration/upgrade) sets it in a derived image."""
    env = os.environ if env is None else env
    reason = env.get("STANDIN_MIGRATION_FAIL", "")
    if args[:1] == ["upgrade-db"] and reason:
        print("STAND-IN: Database migration failed: %s (STANDIN_MIGRATION_FAIL is set)" % reason,
              file=sys.stderr, flush=True)
        return 1
    if args[:1] == ["upgrade-db"]:
        print("STAND-IN: Database migration successful!", flush=True)
    return 0


def main(argv):
    # As PID 1, Python ignores SIGTERM unless it handles it: stop at once, as the kubelet asks.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    name = component()
    mode = os.environ.get("MODE", "")
    print("STAND-IN: this container is a stand-in for %s, not the component itself (argv %s, MODE=%s); "
          "see docs/kind-images.md" % (name, argv[1:], mode or "-"), flush=True)
    if len(argv) > 1 and argv[1] == "flask":
        # A one-shot command (dify's migration Job, `flask upgrade-db`): recorded, then done.
        record({"component": name, "port": 0, "method": "RUN", "path": " ".join(argv[1:]), "query_keys": [],
                "body_bytes": 0})
        return run_flask(argv[2:])
    if mode in IDLE_MODES.get(name, ()) or (len(argv) > 1 and argv[1] == "celery"):
        record({"component": name, "port": 0, "method": "START", "path": mode or "celery", "query_keys": [],
                "body_bytes": 0})
        while True:
            time.sleep(3600)
    wanted = ports(name)
    for port in wanted["tcp"]:
        threading.Thread(target=serve_tcp, args=(name, port), daemon=True).start()
    servers = [Server(("0.0.0.0", port)  # noqa: S104
               , make_handler(name)) for port in wanted["http"]]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
