"""The shared HTTP client against a real loopback server: retries, backoff bounds, token refresh, typed errors."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiResponseError,
    AuthenticationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import HttpClient, RetryPolicy


class Script:
    """What the server answers, one status per request, then 200."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.seen = []


@pytest.fixture
def server():
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append({"method": self.command, "path": self.path,
                                "auth": self.headers.get("Authorization"), "body": body})
            status = script.statuses.pop(0) if script.statuses else 200
            payload = json.dumps({"status": status, "path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1], script
    httpd.shutdown()


def fast(attempts):
    return RetryPolicy(attempts=attempts, backoff=0.01, max_backoff=0.02)


class TokenAuth:
    def __init__(self):
        self.token = "old"
        self.refreshes = 0

    def headers(self):
        return {"Authorization": "Bearer " + self.token}

    def refresh(self, client):
        self.refreshes += 1
        self.token = "new"
        return True


def test_5xx_is_retried_then_succeeds(server):
    url, script = server
    script.statuses = [503, 502]
    client = HttpClient(url, retry=fast(3))
    assert client.get_json("/x")["status"] == 200
    assert client.request_count == 3


def test_5xx_beyond_the_bound_is_a_typed_error(server):
    url, script = server
    script.statuses = [503, 503, 503, 503]
    client = HttpClient(url, retry=fast(3))
    with pytest.raises(ApiResponseError) as caught:
        client.get_json("/x")
    assert caught.value.status == 503
    assert client.request_count == 3


def test_a_per_request_policy_sends_a_write_once(server):
    url, script = server
    script.statuses = [503]
    client = HttpClient(url, retry=fast(5))
    with pytest.raises(ApiResponseError):
        client.request("POST", "/create", body={"a": 1}, retry=fast(1))
    assert [s["method"] for s in script.seen] == ["POST"]


def test_4xx_is_not_retried_unless_expected(server):
    url, script = server
    script.statuses = [404, 404]
    client = HttpClient(url, retry=fast(3))
    with pytest.raises(ApiResponseError):
        client.get_json("/missing")
    assert client.request_count == 1
    assert client.request("GET", "/missing", expect=(404,)).status == 404


def test_401_refreshes_the_token_once_and_sends_the_new_one(server):
    url, script = server
    script.statuses = [401]
    auth = TokenAuth()
    client = HttpClient(url, retry=fast(3), auth=auth)
    assert client.get_json("/x")["status"] == 200
    assert auth.refreshes == 1
    assert [s["auth"] for s in script.seen] == ["Bearer old", "Bearer new"]


def test_401_after_a_refresh_is_an_authentication_error(server):
    url, script = server
    script.statuses = [401, 401]
    client = HttpClient(url, retry=fast(3), auth=TokenAuth())
    with pytest.raises(AuthenticationError):
        client.get_json("/x")


def test_queries_are_url_encoded(server):
    url, script = server
    HttpClient(url).get_json("/apps", query={"name": "a b&c=d/é", "page": 1, "skip": None})
    assert script.seen[0]["path"] == "/apps?name=a+b%26c%3Dd%2F%C3%A9&page=1"


def test_an_unreachable_server_is_a_typed_error_after_the_retries():
    client = HttpClient("http://127.0.0.1:9", retry=fast(2), timeout=2)
    with pytest.raises(ApiConnectionError) as caught:
        client.get_json("/x")
    assert client.request_count == 2
    assert "127.0.0.1:9" in str(caught.value)


def test_backoff_grows_and_stays_bounded():
    policy = RetryPolicy(attempts=10, backoff=0.5, max_backoff=4.0)
    delays = [policy.delay(n) for n in range(1, 10)]
    assert all(0.25 <= d <= 0.5 for d in delays[:1])
    assert all(d <= 4.0 for d in delays)
    assert max(delays[5:]) >= 2.0
