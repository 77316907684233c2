"""The portal through the real SSO path in a real browser: router -> the portal's OAuth2-Proxy -> Keycloak -> the page.

Everything from what the roles render (tests/browser/portal_sso.py): Keycloak's
realm and the ``portal`` client made by the keycloak role's task, OAuth2-Proxy
with the portal Deployment's args, the page served by nginx with the static-web
image's configuration. The page's script reads the groups from OAuth2-Proxy's
real /oauth2/userinfo: the Costs link appears for a member of platform-admins
and not for anyone else. Screenshots in tests/output/browser/portal/.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from browser.chromium import chromium_trusting, on_login_page, sign_in
from browser.portal_sso import PortalSSOStack
from browser.stack import DOMAIN
from helpers.paths import REPO
from helpers.role_render import render_role_objects

sys.path.insert(0, str(REPO / "tests" / "unit" / "portal"))
from test_portal_render import EVIL, variables

SHOTS = REPO / "tests" / "output" / "browser" / "portal"
PORTAL = "https://portal." + DOMAIN
ADDRESS = "127.0.77.3"


@pytest.fixture(scope="module")
def keycloak():
    sys.path.insert(0, str(REPO / "tests" / "integration" / "keycloak"))
    from keycloak_server import KeycloakServer  # pylint: disable=import-outside-toplevel

    # Behind a router, as the operator's Keycloak CR runs it. SSO_TEST_KEYCLOAK_URL and _PASSWORD reuse one
    # started that way (--proxy-headers=xforwarded).
    if os.environ.get("SSO_TEST_KEYCLOAK_URL"):
        yield KeycloakServer(url=os.environ["SSO_TEST_KEYCLOAK_URL"], password=os.environ["SSO_TEST_KEYCLOAK_PASSWORD"])
        return
    server = KeycloakServer(extra_args=["--proxy-headers=xforwarded"]).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(keycloak, tmp_path_factory):
    # nginx's workers run as nobody (its master is root here): the files live where nobody may read them, not
    # under pytest's private temporary directory; read-only, as the ConfigMap's mount is.
    files = Path(tempfile.mkdtemp(prefix="airgap-portal-page-"))
    files.chmod(0o755)
    objects = render_role_objects("portal", ["page.yml.j2"], variables())
    for name, text in objects[("ConfigMap", "portal-page")]["data"].items():
        (files / name).write_text(text)
        (files / name).chmod(0o444)
    stack = PortalSSOStack(tmp_path_factory.mktemp("portal-sso"), keycloak, files, router_address=ADDRESS)
    try:
        stack.start()
        assert stack.wait_ready(), stack.oauth2_proxy_output()[-3000:]
        stack.add_person("pat", "pat-pass-1", groups=["staff"])
        stack.add_person("root", "root-pass-1", groups=["platform-admins"])
        yield stack
    finally:
        stack.keep_logs(SHOTS / "logs")
        stack.stop()
        shutil.rmtree(files, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(stack, tmp_path_factory):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_trusting(stack.ca.cert_path, tmp_path_factory.mktemp("chromium-home"), DOMAIN, ADDRESS,
                           "airgap-portal-test-ca") as chromium:
        yield chromium


def signed_in(browser, username, password):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(PORTAL + "/")
    assert on_login_page(page, DOMAIN), page.url
    sign_in(page, username, password)
    assert page.url.startswith(PORTAL), page.url
    page.wait_for_function("document.getElementById('who').textContent.length > 0")
    return page


def titles(page):
    return page.eval_on_selector_all(".tile:not([hidden]) .title", "els => els.map(e => e.textContent)")


def test_a_member_signs_in_once_and_sees_the_tiles_without_costs(stack, browser):
    page = signed_in(browser, "pat", "pat-pass-1")
    page.screenshot(path=str(SHOTS / "10-sso-member.png"), full_page=True)
    assert page.locator("#who").inner_text() == "pat"
    shown = titles(page)
    assert shown[0] == "Open Chat" and "Wiki" in shown and EVIL in shown and len(shown) == 58
    assert page.locator("#costs").is_hidden()
    page.fill("#search", "App 42")
    assert titles(page) == ["App 42"]
    # The page was rendered for apps.example.test (tests/unit/portal/test_portal_render.py variables()).
    assert page.locator(".tile[data-id='tile-open-chat']").get_attribute("href") == "https://chat.apps.example.test"


def test_an_admin_sees_costs(stack, browser):
    page = signed_in(browser, "root", "root-pass-1")
    page.screenshot(path=str(SHOTS / "11-sso-admin-costs.png"), full_page=True)
    assert page.locator("#costs").is_visible()
    assert "Wiki" not in titles(page)
