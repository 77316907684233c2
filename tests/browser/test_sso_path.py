"""A person's path through SSO in a real browser: Chromium from Debian, driven by Playwright.

Route -> OAuth2-Proxy -> Keycloak -> Dify (stand-in), each configured from what
the roles render (tests/browser/stack.py). Every step leaves a screenshot in
tests/output/browser/.
"""

from __future__ import annotations

import time

import pytest

from helpers.paths import REPO
from browser.chromium import chromium_trusting, sign_in
from browser.chromium import on_login_page as chromium_on_login_page
from browser.stack import ALLOWED_GROUP, DOMAIN, ROUTER_ADDRESS, SSOStack, keycloak_behind_router

SHOTS = REPO / "tests" / "output" / "browser"
APP = "https://dify." + DOMAIN
# Short enough for the test to wait it out; the role's default is in its defaults/main.yml.
COOKIE_REFRESH = "3s"


@pytest.fixture(scope="module")
def keycloak():
    yield from keycloak_behind_router()


@pytest.fixture(scope="module")
def stack(keycloak, tmp_path_factory):
    stack = SSOStack(tmp_path_factory.mktemp("sso"), keycloak,
                     oauth2_proxy_vars={"oauth2_proxy_cookie_refresh": COOKIE_REFRESH})
    try:
        stack.start()
        assert stack.wait_oauth2_proxy(), stack.oauth2_proxy_output()[-3000:]
        stack.add_person("alice", "alice-pass-1", groups=[ALLOWED_GROUP])
        stack.add_person("bob", "bob-pass-1", groups=["other-team"])
        yield stack
    finally:
        stack.keep_logs(SHOTS / "logs")
        stack.stop()


@pytest.fixture(scope="module")
def browser(stack, tmp_path_factory):
    """Chromium trusting only the test CA (an NSS database of its own), with Route hosts mapped to the router."""
    home = tmp_path_factory.mktemp("chromium-home")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_trusting(stack.ca.cert_path, home, DOMAIN, ROUTER_ADDRESS, "airgap-sso-test-ca") as chromium:
        yield chromium


def shot(page, name):
    page.screenshot(path=str(SHOTS / ("%s.png" % name)), full_page=True)


def on_login_page(page):
    return chromium_on_login_page(page, DOMAIN)


def test_a_member_signs_in_reaches_dify_with_her_identity_and_signs_out(stack, browser):
    stack.end_sessions("alice")  # a Keycloak reused between runs may hold an older one
    page = browser.new_context().new_page()
    page.goto(APP + "/apps")
    assert on_login_page(page), page.url
    shot(page, "01-keycloak-login")

    sign_in(page, "alice", "alice-pass-1")
    assert page.url == APP + "/apps", page.url
    assert page.locator("h1").inner_text() == "STAND-IN for dify-web"
    shot(page, "02-signed-in-at-dify-stand-in")
    seen = next(r for r in reversed(stack.web.requests) if r["path"] == "/apps")
    assert seen["identity"]["X-Forwarded-Email"] == "alice@example.test"
    assert ALLOWED_GROUP in seen["identity"]["X-Forwarded-Groups"].split(",")

    page.goto(APP + "/oauth2/sign_out")
    page.wait_for_load_state("networkidle")
    shot(page, "03-signed-out")
    assert stack.sessions("alice") == [], "signing out left the Keycloak session open"
    page.goto(APP + "/apps")
    assert on_login_page(page), "after signing out, %s did not ask to sign in again" % page.url
    shot(page, "04-login-again-after-sign-out")


def test_a_person_outside_the_allowed_group_is_refused(stack, browser):
    page = browser.new_context().new_page()
    before = len(stack.web.requests)
    page.goto(APP + "/apps")
    sign_in(page, "bob", "bob-pass-1")
    shot(page, "05-outside-the-group-refused")
    assert page.url.startswith(APP), page.url
    assert "403" in page.content() or "Forbidden" in page.content()
    assert len(stack.web.requests) == before, "the stand-in saw a request from a person outside the group"


def test_an_expired_session_goes_back_to_the_login_page(stack, browser):
    page = browser.new_context().new_page()
    page.goto(APP + "/apps")
    sign_in(page, "alice", "alice-pass-1")
    assert page.url == APP + "/apps", page.url
    stack.end_sessions("alice")
    time.sleep(4)  # past COOKIE_REFRESH: the next request makes OAuth2-Proxy ask Keycloak again
    page.goto(APP + "/apps")
    shot(page, "06-expired-session-login")
    assert on_login_page(page), "an ended Keycloak session still reached %s" % page.url


def test_oauth2_proxy_trusts_keycloak_only_through_the_ca_bundle_the_foundation_renders(keycloak, tmp_path):
    stack = SSOStack(tmp_path / "sso-no-ca", keycloak, ca_in_bundle=False, router_address="127.0.77.2")
    try:
        stack.start()
        assert not stack.wait_oauth2_proxy(timeout=20)
        output = stack.oauth2_proxy_output()
        assert "x509: certificate signed by unknown authority" in output, output[-2000:]
    finally:
        stack.stop()
