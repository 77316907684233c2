"""Connection behaviour of the Keycloak modules: auth, errors, retries, token refresh, env fallback.

Faults come from a small proxy in front of the real server (keycloak_faultproxy),
which also records what the module really sent.
"""

import socket
import time

import pytest

import keycloak_support as ks
from keycloak_faultproxy import FaultProxy, SilentServer, make_tls_files

REALM = "it-connection"


@pytest.fixture(scope="module")
def kc():
    yield from ks.server_without_realm(REALM)


@pytest.fixture(autouse=True)
def fresh_realm(kc):
    """Every test starts without the realm, so each one's "changed" is its own."""
    ks.delete_realm(kc, REALM)


@pytest.fixture
def proxy(kc):
    return ks.proxy()


def realm(name="task", **options):
    options.setdefault("display_name", "Connection tests")
    return ks.realm_task(name, realm=REALM, **options)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tls_proxy(kc, tmp_path_factory):
    ca, cert, key = make_tls_files(tmp_path_factory.mktemp("tls"))
    server = FaultProxy(kc.url, tls=(cert, key))
    yield server, ca
    server.close()


def test_tls_is_verified_by_default_and_ca_path_trusts_an_internal_ca(kc, tls_proxy):
    proxy, ca = tls_proxy
    assert proxy.url.startswith("https://")
    # With retries allowed and a long backoff: a refused certificate is final (issue 17, item 11),
    # so the task fails after one handshake instead of four handshakes and ~14 s of backoff.
    started = time.monotonic()
    run = ks.run(kc, proxy.url, [realm("untrusted")], retries=3, retry_backoff=4)
    elapsed = time.monotonic() - started
    result = run.result("untrusted")
    assert result["failed"] is True
    assert result["error"] == "TlsVerificationError"
    assert "CERTIFICATE_VERIFY_FAILED" in result["msg"] or "certificate verify failed" in result["msg"]
    assert "Not retried" in result["msg"] and "ca_path" in result["msg"]
    assert proxy.requests() == []  # the handshake failed: no request reached the proxy
    assert elapsed < 2 + 25, elapsed  # no backoff of 2 + 4 + 8 s (halved at least by the jitter)

    run = ks.run(kc, proxy.url, [realm("trusted", display_name="Over TLS")], ca_path=ca)
    assert ks.ok(run, "trusted")["changed"] is True
    assert kc.realm(REALM)["displayName"] == "Over TLS"
    assert [r.status for r in proxy.requests()][:3] == [200, 404, 201]  # token, realm not there yet, created


def test_wrong_admin_password_is_a_clear_error(kc, proxy):
    run = ks.run(kc, proxy.url, [realm()], auth_password="not-the-password")
    result = run.result("task")
    assert result["failed"] is True
    assert result["error"] == "TokenRequestRefused"
    assert "Keycloak refused the admin credentials (password grant, client 'admin-cli', realm 'master')" in \
        result["msg"]
    # Keycloak 26.7 answers 400 (older releases 401); either way one request, not retried, nothing else sent.
    status = proxy.requests()[0].status
    assert status in (400, 401)
    assert "HTTP %d invalid_grant: Invalid user credentials" % status in result["msg"]
    assert [(r.method, r.status) for r in proxy.requests()] == [("POST", status)]
    assert kc.realm(REALM) is None


def test_unreachable_server_fails_fast_and_clearly(kc):
    url = "http://127.0.0.1:%d" % closed_port()
    started = time.monotonic()
    run = ks.run(kc, url, [realm()], retries=2, retry_backoff=0.2)
    elapsed = time.monotonic() - started
    result = run.result("task")
    assert result["failed"] is True
    assert result["error"] == "ApiConnectionError"
    assert result["msg"].startswith("cannot reach %s/realms/master/protocol/openid-connect/token" % url)
    assert "Connection refused" in result["msg"]
    assert elapsed < 30, elapsed


def test_hanging_server_fails_within_the_timeout(kc):
    silent = SilentServer()
    try:
        started = time.monotonic()
        run = ks.run(kc, silent.url, [realm()], timeout=2, retries=1, retry_backoff=0.1)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    result = run.result("task")
    assert result["failed"] is True
    assert result["error"] == "ApiConnectionError"
    assert "timed out" in result["msg"]
    # The message counts the attempts and the time (issue 17, item 12).
    assert "(2 attempts in " in result["msg"] and "each with a timeout of 2 s" in result["msg"]
    assert silent.accepted == 2  # the first attempt and one retry, each given up after 2 s
    # Two attempts of 2 s plus the backoff, plus ansible-playbook's own start-up.
    assert elapsed < 4 + 25, elapsed


def test_503_is_retried_until_it_passes(kc, proxy):
    proxy.fail_next(3, 503)
    run = ks.run(kc, proxy.url, [realm()], retries=3)
    result = ks.ok(run, "task")
    assert result["changed"] is True
    assert kc.realm(REALM)["displayName"] == "Connection tests"
    statuses = [(r.status, r.injected) for r in proxy.requests()]
    assert statuses[:4] == [(503, True), (503, True), (503, True), (200, False)]  # the token, 4th attempt
    assert all(not injected for _status, injected in statuses[4:])


def test_503_beyond_the_retries_fails_clearly(kc, proxy):
    proxy.fail_next(100, 503)
    run = ks.run(kc, proxy.url, [realm(display_name="never")], retries=2)
    result = run.result("task")
    assert result["failed"] is True
    assert "HTTP 503" in result["msg"] and "/protocol/openid-connect/token" in result["msg"]
    assert len(proxy.requests()) == 3  # one attempt and two retries, then it stops


def test_503_mid_run_is_retried(kc, proxy):
    # Let the token through, then fail the admin GET twice.
    run = ks.run(kc, proxy.url, [realm("create")])
    ks.ok(run, "create")
    proxy.reset()
    proxy.fail_next(2, 503, authenticated_only=True)
    run = ks.run(kc, proxy.url, [realm("again")], retries=2)
    assert ks.ok(run, "again")["changed"] is False
    assert [(r.method, r.status) for r in proxy.requests(token=False)] == [("GET", 503), ("GET", 503), ("GET", 200)]
    assert len(proxy.requests(token=True)) == 1


def test_revoked_token_is_refreshed_and_sent_on_the_retry(kc, proxy):
    """Keycloak really rejects the token (every admin session ended); the module gets a new one."""
    proxy.before_next_authenticated(kc.logout_all)
    run = ks.run(kc, proxy.url, [realm("revoked", display_name="After a revoked token")])
    result = ks.ok(run, "revoked")
    assert result["changed"] is True
    assert kc.realm(REALM)["displayName"] == "After a revoked token"
    log = proxy.requests()
    assert [(r.method, r.is_token_request, r.status) for r in log[:4]] == [
        ("POST", True, 200),   # first token
        ("GET", False, 401),   # the server has revoked it
        ("POST", True, 200),   # refresh
        ("GET", False, 404),   # the same request again, answered: the realm does not exist yet
    ]
    assert log[1].path == log[3].path
    assert log[1].authorization != log[3].authorization  # the new token was sent on the retry
    assert all(r.authorization == log[3].authorization for r in log[4:] if not r.is_token_request)


def test_401_once_is_refreshed(kc, proxy):
    proxy.unauthorized(1)
    run = ks.run(kc, proxy.url, [realm("expired", display_name="After a 401")])
    assert ks.ok(run, "expired")["changed"] is True
    log = proxy.requests()
    assert [(r.is_token_request, r.status, r.injected) for r in log[:4]] == [
        (True, 200, False), (False, 401, True), (True, 200, False), (False, 404, False)]
    assert log[1].authorization != log[3].authorization


def test_401_after_refresh_is_an_authentication_error(kc, proxy):
    proxy.unauthorized(2)  # the new token is refused too
    run = ks.run(kc, proxy.url, [realm("denied", display_name="never")])
    result = run.result("denied")
    assert result["failed"] is True
    assert result["error"] == "AuthenticationError"
    assert "HTTP 401" in result["msg"]
    assert len(proxy.requests(token=True)) == 2  # one refresh, not a loop


def test_client_credentials_grant_and_env_fallback(kc, proxy):
    """A confidential automation client with realm-admin rights, configured only through KEYCLOAK_* variables."""
    secret = "it-automation-secret-0123456789"
    status, body = kc.api("POST", "/admin/realms/master/clients", {
        "clientId": "it-automation", "publicClient": False, "serviceAccountsEnabled": True,
        "standardFlowEnabled": False, "secret": secret})
    assert status in (201, 409), body
    client = kc.client("master", "it-automation")
    try:
        user = kc.get("/admin/realms/master/clients/%s/service-account-user" % client["id"])
        admin_role = kc.get("/admin/realms/master/roles/admin")
        status, body = kc.api("POST", "/admin/realms/master/users/%s/role-mappings/realm" % user["id"], [admin_role])
        assert status == 204, body
        env = {"KEYCLOAK_URL": proxy.url, "KEYCLOAK_CLIENT_ID": "it-automation",
               "KEYCLOAK_CLIENT_SECRET": secret, "KEYCLOAK_RETRY_BACKOFF": "0.1"}
        run = ks.run_tasks([realm("automation", display_name="Set by a service account")], diff=True, extra_env=env)
        result = ks.ok(run, "automation")
        assert result["changed"] is True
        assert kc.realm(REALM)["displayName"] == "Set by a service account"
        token_request = proxy.requests(token=True)[0]
        assert token_request.status == 200
        assert secret not in run.stdout + run.stderr
    finally:
        kc.api("DELETE", "/admin/realms/master/clients/%s" % client["id"])


def test_missing_credentials_are_refused_before_any_request(kc, proxy):
    run = ks.run_tasks([realm("no creds", auth_keycloak_url=proxy.url)])
    result = run.result("no creds")
    assert result["failed"] is True
    assert "one of the following is required: auth_username, auth_client_secret" in result["msg"]
    assert proxy.requests() == []
