"""How the shared HTTP client fails against real sockets (issue 17, items 9, 11, 12 and 13).

- a server that accepts but never answers: the error names the attempts and the time;
- a certificate the client refuses: one handshake, no retry;
- an error body: JSON error fields quoted, an HTML page cut to a short excerpt.
"""

import re
import socket
import ssl
import subprocess
import threading
import time

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiResponseError,
    TlsVerificationError,
    body_summary,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import (
    HttpClient,
    RetryPolicy,
    client_from_params,
)


class Listener:
    """A TCP listener on loopback that counts connections and hands each to ``serve``."""

    def __init__(self, serve):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held = []
        self._serve = serve
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while True:
            try:
                conn, _unused = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent():
    """Accepts, reads the request, never answers."""
    listener = Listener(lambda conn: conn.recv(65536))
    yield listener
    listener.close()


@pytest.fixture
def self_signed(tmp_path):
    """An HTTPS listener whose certificate no store trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))

    def handshake(conn):
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
        except (ssl.SSLError, OSError):
            pass

    listener = Listener(handshake)
    yield listener
    listener.close()


def test_a_server_that_never_answers_is_named_with_attempts_and_time(silent, monkeypatch):
    """Every attempt waits out the configured timeout, and the error says how many and how long.

    No bound on the wall-clock alone: a loaded host stretches it (3.1 s for three 0.3 s timeouts
    at a load average of 171). What a wall-clock bound meant to show is checked exactly: each
    connection is opened with the configured timeout (socket.create_connection's argument, the one
    http.client passes on), the backoff is asked for between attempts and nowhere else, and the
    figure the message reports is the time the client really spent. The wall-clock is bounded
    only far above what the configured timeouts allow, far below what the modules' default
    timeout (30 s an attempt) would take.
    """
    timeouts = []
    create_connection = socket.create_connection

    def recording(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, *args, **kwargs):
        timeouts.append(timeout)
        return create_connection(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording)
    waits = []
    client = HttpClient("http://127.0.0.1:%d" % silent.port, timeout=0.3,
                        retry=RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02, sleep=waits.append))
    started = time.monotonic()
    with pytest.raises(ApiConnectionError) as caught:
        client.get_json("/x")
    spent = time.monotonic() - started
    message = str(caught.value)
    assert client.request_count == 3
    assert timeouts == [0.3, 0.3, 0.3]
    assert silent.connections == 3  # each attempt reached the server, which never answered
    assert len(waits) == 2 and all(0 <= wait <= 0.02 for wait in waits)
    assert "timeout of 0.3 s" in message
    assert "timed out" in message
    reported = re.search(r"\b3 attempts in ([0-9.]+) s", message)
    assert reported, message
    # three timeouts of 0.3 s; the message rounds to 0.1 s and was written just before `spent`
    assert 0.9 - 0.05 <= float(reported.group(1)) <= spent + 0.05
    assert 0.9 <= spent < 3 * 0.3 + 20


def test_one_attempt_is_named_in_the_singular(silent):
    client = HttpClient("http://127.0.0.1:%d" % silent.port, timeout=0.2, retry=RetryPolicy(attempts=1))
    with pytest.raises(ApiConnectionError) as caught:
        client.request("POST", "/create", body={})
    assert "1 attempt in" in str(caught.value)


def test_a_refused_certificate_is_final(self_signed):
    client = client_from_params("https://127.0.0.1:%d" % self_signed.port,
                                {"timeout": 5, "retries": 3, "retry_backoff": 0.01})
    with pytest.raises(TlsVerificationError) as caught:
        client.get_json("/x")
    assert client.request_count == 1
    assert self_signed.connections == 1
    assert "ca_path" in str(caught.value)
    assert "certificate verify failed" in str(caught.value)


def test_an_html_5xx_body_is_cut_to_a_short_excerpt():
    page = "<html><head><style>body {color: red}</style><title>502 Bad Gateway</title></head><body>" \
           + "<p>%s</p>" % ("upstream went away " * 100) + "</body></html>"
    error = ApiResponseError(502, "https://kc.example/admin", page, method="GET")
    message = str(error)
    assert message.startswith("GET https://kc.example/admin answered HTTP 502: 502 Bad Gateway upstream went away")
    assert "<" not in message and "color" not in message
    assert len(message) < 240
    assert error.body == page  # kept whole for callers that parse it


@pytest.mark.parametrize("body, expected", [
    ('{"error": "invalid_grant", "error_description": "Invalid user credentials"}',
     "error: invalid_grant; error_description: Invalid user credentials"),
    ('{"errorMessage": "Realm with same name exists"}', "errorMessage: Realm with same name exists"),
    ('{"error": {"message": "Authentication Error, Invalid proxy server token", "type": "auth_error", '
     '"param": "None", "code": "401"}}',
     "error.message: Authentication Error, Invalid proxy server token; error.code: 401; error.type: auth_error"),
    ('{"detail": "Not Found"}', "detail: Not Found"),
    ('{"code": "unauthorized", "message": "Invalid token", "status": 401}', "message: Invalid token; code: unauthorized"),
    ('', "(empty body)"),
    ('{"unrelated": 1}', '{"unrelated": 1}'),
])
def test_json_error_fields_are_quoted(body, expected):
    assert body_summary(body) == expected
