"""Presence checks over HTTP (plugins/module_utils/release/presence.py): what is final, what falls back to skopeo.

The registry here speaks the two challenges of distribution's token spec
(docs/content/spec/auth/token.md): Basic, and Bearer with a token service; the real
registries of tests/integration/mirror answer the Basic one through the role.
"""

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.presence import Presence, Unsure, parse_challenge
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.verify import is_present

MANIFEST = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}'
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
BASIC = "Basic " + base64.b64encode(b"robot:S3cret-pw").decode()


class Registry(BaseHTTPRequestHandler):
    scheme = "basic"
    log = ()  # each fixture's subclass gets its own list

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization")
        type(self).log.append((self.path, auth))
        if self.path.startswith("/token?"):
            if auth != BASIC:
                return self._send(401)
            scope = self.path.split("scope=")[1]
            return self._send(200, json.dumps({"token": "tok-" + scope}).encode())
        if self.scheme == "odd":
            return self._send(401, headers={"WWW-Authenticate": 'Negotiate realm="x"'})
        wanted = BASIC if self.scheme == "basic" else "Bearer tok-repository%3Aproj%2Fapp%3Apull"
        if auth != wanted:
            challenge = ('Basic realm="r"' if self.scheme == "basic" else
                         'Bearer realm="http://%s/token",service="reg",scope="repository:proj/app:pull"' % self.headers["Host"])
            return self._send(401, headers={"WWW-Authenticate": challenge})
        if self.path == "/v2/proj/app/manifests/%s" % DIGEST:
            return self._send(200, MANIFEST)
        if self.path.startswith("/v2/proj/broken/"):
            return self._send(500)
        return self._send(404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}')


@pytest.fixture(params=["basic", "bearer"])
def registry(request):
    handler = type("Handler", (Registry,), {"scheme": request.param, "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, "127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_present_absent_and_the_credentials_asked_once(registry):
    handler, host = registry
    presence = Presence(host, ("robot", "S3cret-pw"), scheme="http")
    assert presence.holds("proj/app", DIGEST) is True
    assert presence.holds("proj/app", "sha256:" + "0" * 64) is False  # 404: absent
    assert presence.holds("proj/app", DIGEST) is True
    # One challenge, then the credentials (or the one token of this scope) are sent up front.
    assert sum(1 for _path, auth in handler.log if auth is None) == 1
    assert sum(1 for path, _auth in handler.log if path.startswith("/token")) == (1 if handler.scheme == "bearer" else 0)


def test_what_is_not_final_is_unsure(registry):
    _handler, host = registry
    with pytest.raises(Unsure):  # a server error
        Presence(host, ("robot", "S3cret-pw"), scheme="http").holds("proj/broken", DIGEST)
    with pytest.raises(Unsure):  # credentials refused: 401 again, or the token service refuses
        Presence(host, ("robot", "wrong"), scheme="http").holds("proj/app", DIGEST)
    with pytest.raises(Unsure):  # nothing listens
        Presence("127.0.0.1:1", None, scheme="http", timeout=5).holds("proj/app", DIGEST)


def test_an_unknown_challenge_is_unsure():
    handler = type("Handler", (Registry,), {"scheme": "odd", "log": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(Unsure, match="negotiate"):
            Presence("127.0.0.1:%d" % server.server_address[1], ("robot", "S3cret-pw"), scheme="http").holds("proj/app", DIGEST)
    finally:
        server.shutdown()
        server.server_close()


def test_parse_challenge():
    assert parse_challenge('Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:p/a:pull"') == (
        "bearer", {"realm": "https://h/service/token", "service": "harbor-registry", "scope": "repository:p/a:pull"})
    assert parse_challenge('Basic realm="r"') == ("basic", {"realm": "r"})


class _Closure:
    children = ()
    sparse = False


class _Item:
    digest = DIGEST
    closure = _Closure()


class _Skopeo:
    def __init__(self):
        self.asked = []

    def inspect_raw(self, ref, side="dest"):
        self.asked.append(ref)
        return MANIFEST


def test_is_present_asks_skopeo_only_when_unsure(registry):
    _handler, host = registry
    skopeo = _Skopeo()
    assert is_present(skopeo, _Item(), "%s/proj/app" % host, Presence(host, ("robot", "S3cret-pw"), scheme="http"))
    assert skopeo.asked == []
    # Wrong credentials: the registry gives no final answer, skopeo (with its own auth file) is asked.
    assert is_present(skopeo, _Item(), "%s/proj/app" % host, Presence(host, ("robot", "wrong"), scheme="http"))
    assert skopeo.asked == ["docker://%s/proj/app@%s" % (host, DIGEST)]


def test_source_manifests_are_read_here_and_crane_only_where_unsure(registry):
    """mirror_to_disk's plan reads each manifest over HTTP(S) in the engine (one crane process per
    manifest before, issue 20); crane answers what this cannot (404, 500, no host, wrong bytes)."""
    from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Endpoint
    from ansible_collections.airgap.dify_platform.plugins.module_utils.release.sources import SourceManifests

    handler, host = registry
    asked = []

    def crane(ref):
        asked.append(ref)
        return b"from crane"

    manifests = SourceManifests(Endpoint({host: ("robot", "S3cret-pw")}), crane, scheme="http")
    assert manifests("%s/proj/app@%s" % (host, DIGEST)) == MANIFEST
    assert manifests("%s/proj/app@%s" % (host, DIGEST)) == MANIFEST
    assert asked == []
    unsure = ["%s/proj/app@sha256:%s" % (host, "0" * 64),  # 404: crane says "not found" in its words
              "%s/proj/broken@%s" % (host, DIGEST),  # 500
              "proj/app@%s" % DIGEST,  # no registry host
              "%s/proj/app:v1" % host]  # a tag: resolved by crane
    for ref in unsure:
        assert manifests(ref) == b"from crane"
    assert asked == unsure
    assert sum(1 for _path, auth in handler.log if auth is None) == 1  # credentials sent up front after one challenge
