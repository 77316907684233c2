"""The portal through the real SSO path in a real browser: router -> the portal's OAuth2-Proxy -> Keycloak -> the page.

Everything from what the roles render (tests/browser/portal_sso.py): Keycloak's
realm and the ``portal`` client made by the keycloak role's task, OAuth2-Proxy
with the portal Deployment's args, the page served by nginx with the static-web
image's configuration. The page's script reads the groups from OAuth2-Proxy's
real /oauth2/userinfo: the Costs link appears for a member of platform-admins
and not for anyone else. Screenshots in tests/output/browser/portal/.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from browser import portal_page
from browser.portal_page import SHOTS, signed_in, titles
from browser.portal_sso import PortalSSOStack
from browser.stack import DOMAIN, keycloak_behind_router
from helpers.paths import REPO
from helpers.role_render import render_role_objects

sys.path.insert(0, str(REPO / "tests" / "unit" / "portal"))
from test_portal_render import EVIL, variables

PORTAL = "https://portal." + DOMAIN
ADDRESS = "127.0.77.3"


@pytest.fixture(scope="module")
def keycloak():
    yield from keycloak_behind_router()


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
        assert stack.wait_oauth2_proxy(60), stack.oauth2_proxy_output()[-3000:]
        stack.add_person("pat", "pat-pass-1", groups=["staff"])
        stack.add_person("root", "root-pass-1", groups=["platform-admins"])
        yield stack
    finally:
        stack.keep_logs(SHOTS / "logs")
        stack.stop()
        shutil.rmtree(files, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(stack, tmp_path_factory):
    yield from portal_page.chromium(stack.ca.cert_path, tmp_path_factory, DOMAIN, ADDRESS, "airgap-portal-test-ca")


def test_a_member_signs_in_once_and_sees_the_tiles_without_costs(stack, browser):
    page = signed_in(browser, PORTAL, DOMAIN, "pat", "pat-pass-1")
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
    page = signed_in(browser, PORTAL, DOMAIN, "root", "root-pass-1")
    page.screenshot(path=str(SHOTS / "11-sso-admin-costs.png"), full_page=True)
    assert page.locator("#costs").is_visible()
    assert "Wiki" not in titles(page)
