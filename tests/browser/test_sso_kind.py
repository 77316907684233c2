"""A person's path through SSO on real pods: Chromium -> router pod -> OAuth2-Proxy pod -> Keycloak pod -> Dify stand-in.

The kind cluster, the images and the platform come from tests/browser/kind
(setup.sh, outside this process) and tests/browser/kind_stack.py (the
converge and the test infrastructure, in this process). Run it through
``make browser-kind``: this process must resolve the Route hosts to kind's
port mapping (a private /etc/hosts in a mount namespace of its own).
Every step leaves a screenshot in tests/output/browser/kind/.

``SSO_KIND_BREAK`` breaks one thing on purpose, to show the checks fail:
``issuer`` (Keycloak without the forwarded headers: its issuer is the plain
HTTP hop), ``group`` (OAuth2-Proxy allows another group), ``ca`` (the CA
bundle the foundation renders holds another CA), ``env`` (an env name of the
OAuth2-Proxy Deployment misspelled after the converge), ``fingerprint`` (the
oauth2_proxy role without the Secrets' fingerprint on its pods), ``networkpolicy``
(dify-web's ingress policy and the namespace's default deny deleted after the
converge). A run without it repairs the cluster (the converge applies them again).

``AIRGAP_SSO_KIND_PLATFORM=existing``: the platform is already converged on the cluster, by molecule's
kind scenario (molecule/kind/verify.yml runs this file before its node-loss test, with the cluster,
address and work directory of that run): no converge here, the tests that need one of their own
(a break, a changed client secret) are skipped, and the router is re-rendered from the Routes.
"""

from __future__ import annotations

import html
import json
import os
import time

import pytest

from harness.registry.registry import TestCA
from helpers.paths import REPO
from browser.chromium import chromium_trusting, sign_in
from browser.chromium import on_login_page as chromium_on_login_page
from browser import kind_stack
from browser.kind_stack import ALLOWED_GROUP, DOMAIN, INGRESS_ADDRESS, NAMESPACE, KindSSO

SHOTS = REPO / "tests" / "output" / "browser" / "kind"
APP = "https://dify." + DOMAIN
BREAK = os.environ.get("SSO_KIND_BREAK", "")
PASSWORDS = {"alice": "alice-pass-1", "bob": "bob-pass-1"}
EXISTING = os.environ.get("AIRGAP_SSO_KIND_PLATFORM") == "existing"


def _images():
    path = kind_stack.WORKDIR / "images.json"
    if not path.exists():
        pytest.fail("no %s: run tests/browser/kind/setup.sh first (make browser-kind does)" % path)
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def kind():
    if not KindSSO.resolves_to_router():
        pytest.fail("keycloak.%s does not resolve to %s in this process: run it through make browser-kind "
                    "(a private /etc/hosts, tests/browser/kind/hosts)" % (DOMAIN, INGRESS_ADDRESS))
    stack = KindSSO(_images())
    if EXISTING:
        if BREAK:
            pytest.fail("SSO_KIND_BREAK needs the tier's own converge: run make browser-kind")
        password = stack.keycloak_password()
        stack.start_router()  # with the Routes the roles applied
    else:
        password = _converge_the_tier(stack)
    keycloak = stack.keycloak_client(password)
    keycloak.admin_token()
    for name, groups in (("alice", [ALLOWED_GROUP]), ("bob", ["other-team"])):
        stack.add_person(name, PASSWORDS[name], groups=groups)
    yield stack
    (SHOTS / "logs").mkdir(parents=True, exist_ok=True)
    (SHOTS / "logs" / "oauth2-proxy.log").write_text(stack.oauth2_proxy_logs())


def _converge_the_tier(stack):
    """Keycloak, the router and two converges of the tier's inventory (the second changed=0), with the break."""
    overrides = {}
    if BREAK == "group":
        overrides["oauth2_proxy_allowed_groups"] = ["another-group"]
    if BREAK == "ca":
        overrides["dify_platform_ca_bundle_pem"] = TestCA(stack.dir / "other-ca", name="not the router's CA") \
            .cert_path.read_text()
    if BREAK:
        overrides["dify_platform_wait_timeout"] = 90
    password = stack.start_infrastructure(proxy_headers=BREAK != "issuer")
    stack.wait_keycloak()
    stack.start_router()  # Keycloak's Route first: the keycloak wave reaches Keycloak through it
    status, recap = stack.converge(password, **overrides)
    assert status == 0, "converge failed: %s\n%s" % (recap, stack.converge_output[-4000:])
    stack.start_router()  # now with the Routes the roles applied
    status, recap = stack.converge(password, **overrides)
    assert status == 0 and " changed=0 " in recap, "second converge: %s" % recap
    if BREAK == "env":
        # The old pod must go first, or it keeps serving with the good name (maxUnavailable 0).
        kind_stack.kubectl("patch", "deployment", "oauth2-proxy", "-n", NAMESPACE, "--type=json", "-p", json.dumps([
            {"op": "replace", "path": "/spec/strategy/rollingUpdate", "value": {"maxSurge": 0, "maxUnavailable": 1}},
            {"op": "replace", "path": "/spec/template/spec/containers/0/env/1/name", "value": "OAUTH2_PROXY_CLIENTID"}]))
        stack.wait_rollout("oauth2-proxy", timeout=60)
    if BREAK == "networkpolicy":
        kind_stack.kubectl("delete", "networkpolicy", "default-deny", "dify-web-ingress", "-n", NAMESPACE)
    return password


@pytest.fixture(scope="module")
def browser(kind, tmp_path_factory):
    """Chromium trusting only the test CA, with the Route hosts mapped to kind's port mapping of the router."""
    home = tmp_path_factory.mktemp("chromium-home")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_trusting(kind.ca.cert_path, home, DOMAIN, INGRESS_ADDRESS, "airgap-sso-kind-test-ca") as chromium:
        yield chromium


def shot(page, name):
    page.screenshot(path=str(SHOTS / ("%s.png" % name)), full_page=True)


def on_login_page(page):
    return chromium_on_login_page(page, DOMAIN)


def requests_of(kind, email):
    return [r for r in kind.standin_requests("dify-web")
            if (r.get("identity") or {}).get("X-Forwarded-Email") == email]


def signed_in(kind, browser, name):
    kind.end_sessions(name)
    context = browser.new_context()
    page = context.new_page()
    page.goto(APP + "/apps")
    assert on_login_page(page), "no Keycloak login page at %s: %s" % (page.url, page.content()[:500])
    sign_in(page, name, PASSWORDS[name])
    return context, page


def test_a_member_signs_in_reaches_dify_with_her_identity_and_signs_out(kind, browser):
    kind.end_sessions("alice")
    page = browser.new_context().new_page()
    page.goto(APP + "/apps")
    assert on_login_page(page), "no Keycloak login page at %s: %s" % (page.url, page.content()[:500])
    shot(page, "01-keycloak-login")

    sign_in(page, "alice", PASSWORDS["alice"])
    shot(page, "02-signed-in-at-dify-stand-in")
    assert page.url == APP + "/apps", "%s: %s" % (page.url, page.content()[:800])
    answer = json.loads(page.locator("body").inner_text())
    assert answer["stand_in"] is True and answer["component"] == "dify-web", answer
    seen = [r for r in kind.standin_requests("dify-web") if r["path"] == "/apps" and r.get("identity")]
    assert seen, "the dify-web stand-in pod recorded no request with identity headers"
    identity = seen[-1]["identity"]
    assert identity["X-Forwarded-Email"] == "alice@example.test", identity
    assert ALLOWED_GROUP in identity["X-Forwarded-Groups"].split(","), identity
    page.set_content("<h1>Recorded by the dify-web stand-in pod</h1><pre>%s</pre>" % html.escape(
        json.dumps(seen[-1], indent=1, sort_keys=True)))
    shot(page, "02b-identity-recorded-by-the-stand-in")

    page.goto(APP + "/oauth2/sign_out")
    page.wait_for_load_state("networkidle")
    shot(page, "03-signed-out")
    assert kind.sessions("alice") == [], "signing out left the Keycloak session open"
    page.goto(APP + "/apps")
    assert on_login_page(page), "after signing out, %s did not ask to sign in again" % page.url
    shot(page, "04-login-again-after-sign-out")


def test_a_person_outside_the_allowed_group_is_refused(kind, browser):
    before = len(requests_of(kind, "bob@example.test"))
    _context, page = signed_in(kind, browser, "bob")
    shot(page, "05-outside-the-group-refused")
    assert page.url.startswith(APP), page.url
    assert "403" in page.content() or "Forbidden" in page.content(), page.content()[:800]
    assert len(requests_of(kind, "bob@example.test")) == before, "the stand-in saw a request from outside the group"


def test_an_expired_session_goes_back_to_the_login_page(kind, browser):
    _context, page = signed_in(kind, browser, "alice")
    assert page.url == APP + "/apps", page.url
    kind.end_sessions("alice")
    kind.sleep_past_cookie_refresh()  # the next request makes OAuth2-Proxy ask Keycloak again
    page.goto(APP + "/apps")
    shot(page, "06-expired-session-login")
    assert on_login_page(page), "an ended Keycloak session still reached %s" % page.url


def test_a_request_that_bypasses_oauth2_proxy_is_refused_by_networkpolicy(kind, browser):
    """From the router pod (allowed to reach OAuth2-Proxy): straight to dify-web is refused, through OAuth2-Proxy works."""
    context, page = signed_in(kind, browser, "alice")
    assert page.url == APP + "/apps", page.url
    cookie = "; ".join("%s=%s" % (c["name"], c["value"]) for c in context.cookies(APP))

    def curl(address):
        # The session cookie goes through stdin (-H @-), never the command line.
        return kind.exec_in_router(
            'curl -sS -o /dev/null -w "%%{http_code}" --max-time 5 -H @- -H "X-Forwarded-Proto: https" '
            '-H "Host: dify.%s" http://%s/apps' % (DOMAIN, address), stdin="Cookie: %s\n" % cookie)

    through = curl("oauth2-proxy.%s.svc:4180" % NAMESPACE)
    bypass = curl("dify-web.%s.svc:3000" % NAMESPACE)
    page.set_content("<h1>NetworkPolicy, from the router pod</h1><pre>%s</pre>" % html.escape(
        "through OAuth2-Proxy (oauth2-proxy:4180/apps): rc=%d http=%s %s\n"
        "straight to dify-web (dify-web:3000/apps):    rc=%d http=%s %s" % (
            through.returncode, through.stdout, through.stderr.strip(), bypass.returncode, bypass.stdout,
            bypass.stderr.strip())))
    shot(page, "07-bypass-refused-by-networkpolicy")
    assert (through.returncode, through.stdout) == (0, "200"), (through.stdout, through.stderr)
    # curl exit 28: the connection timed out (kube-router drops it); 7 would be a refusal.
    assert bypass.returncode in (7, 28) and bypass.stdout in ("", "000"), (bypass.returncode, bypass.stdout)


def test_oauth2_proxy_trusts_keycloak_through_the_ca_bundle_the_foundation_renders(kind):
    """The CA bundle ConfigMap the foundation rendered is what OAuth2-Proxy's --provider-ca-file reads."""
    deployment = kind_stack.get("deployment", NAMESPACE, "oauth2-proxy")
    spec = deployment["spec"]["template"]["spec"]
    args = spec["containers"][0]["args"]
    ca_file = next(a.split("=", 1)[1] for a in args if a.startswith("--provider-ca-file="))
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if ca_file.startswith(m["mountPath"] + "/"))
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    bundle = kind_stack.get("configmap", NAMESPACE, volume["configMap"]["name"])
    assert bundle["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "airgap.dify_platform"
    # The tier's own inventory: exactly the test CA; molecule's: the Harbor stand-in's CA, then it.
    assert kind.ca.cert_path.read_text().strip() in bundle["data"]["ca-bundle.crt"], \
        "the bundle OAuth2-Proxy mounts does not hold the test CA the router's certificates come from"
    if not EXISTING:
        assert bundle["data"]["ca-bundle.crt"].strip() == kind.ca.cert_path.read_text().strip()


def test_a_client_secret_changed_in_keycloak_reaches_oauth2_proxy_on_the_next_converge(kind, browser):
    """The keycloak wave writes the new secret into its Secret; the proxy reads it only at start, so the
    oauth2_proxy wave must roll its pods (the fingerprint annotation). Without it: "Invalid client credentials"."""
    if EXISTING:
        pytest.skip("converges the tier's own inventory again: make browser-kind runs it")
    client = kind.keycloak.client(kind.realm(), "oauth2-proxy")
    status, _unused = kind.keycloak.api("POST", "/admin/realms/%s/clients/%s/client-secret" % (kind.realm(), client["id"]))
    assert status == 200, status
    returncode, recap = kind.converge(kind.keycloak_password())
    assert returncode == 0 and " changed=0 " not in recap, recap
    assert kind.wait_rollout("oauth2-proxy").returncode == 0
    _context, page = signed_in(kind, browser, "alice")
    shot(page, "08-signed-in-after-the-client-secret-changed")
    assert page.url == APP + "/apps", "%s: %s" % (page.url, page.content()[:800])


def test_without_the_ca_in_the_bundle_oauth2_proxy_fails_with_a_tls_error(kind):
    """The bundle the foundation renders holding another CA: the proxy's OIDC discovery fails on Keycloak's certificate."""
    other = TestCA(kind.dir / "other-ca", name="not the router's CA").cert_path.read_text()
    good = kind_stack.get("configmap", NAMESPACE, "dify-platform-ca-bundle")["data"]["ca-bundle.crt"]

    def bundle(pem):
        kind_stack.kubectl("patch", "configmap", "dify-platform-ca-bundle", "-n", NAMESPACE, "--type=merge",
                           "-p", json.dumps({"data": {"ca-bundle.crt": pem}}))
        kind_stack.kubectl("rollout", "restart", "deployment/oauth2-proxy", "-n", NAMESPACE)

    bundle(other)
    try:
        deadline = time.monotonic() + 120
        logs = ""
        while time.monotonic() < deadline and "x509: certificate signed by unknown authority" not in logs:
            time.sleep(3)
            logs = kind.oauth2_proxy_logs(previous=True) + kind.oauth2_proxy_logs()
        (SHOTS / "logs").mkdir(parents=True, exist_ok=True)
        (SHOTS / "logs" / "oauth2-proxy-without-the-ca.log").write_text(logs)
        assert "x509: certificate signed by unknown authority" in logs, logs[-2000:]
    finally:
        bundle(good)
        assert kind.wait_rollout("oauth2-proxy").returncode == 0
