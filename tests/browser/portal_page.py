"""The portal's page in Chromium, for its loopback test (test_portal_sso.py) and its kind test (test_portal_kind.py)."""

from __future__ import annotations

from browser.chromium import chromium_trusting, on_login_page, sign_in
from helpers.paths import REPO

SHOTS = REPO / "tests" / "output" / "browser" / "portal"


def chromium(ca_path, tmp_path_factory, domain, address, nickname):
    """A module fixture's body: Chromium trusting only the test CA, the hosts of ``domain`` mapped to ``address``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_trusting(ca_path, tmp_path_factory.mktemp("chromium-home"), domain, address, nickname) as browser:
        yield browser


def signed_in(browser, portal, domain, username, password):
    """A new page of ``portal`` (its URL) signed in through Keycloak, once the page's script has read /oauth2/userinfo."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(portal + "/")
    assert on_login_page(page, domain), "no Keycloak login page at %s: %s" % (page.url, page.content()[:500])
    sign_in(page, username, password)
    assert page.url.startswith(portal), "%s: %s" % (page.url, page.content()[:800])
    page.wait_for_function("document.getElementById('who').textContent.length > 0")
    return page


def titles(page):
    """The titles of the tiles shown, in the page's order."""
    return page.eval_on_selector_all(".tile:not([hidden]) .title", "els => els.map(e => e.textContent)")
