"""The portal on real pods: Chromium -> router pod -> the portal pod's OAuth2-Proxy -> Keycloak pod -> its page.

Run by molecule's kind scenario (molecule/kind/verify.yml, ``AIRGAP_SSO_KIND_PLATFORM=existing``),
after the converge of every wave with the portal: the page the role rendered from the apps of the
Dify console stand-in (molecule/kind/dify_console_standin.py, read through dify_app_info) and the
tiles the scenario's inventory declares, served by the static-web image from the ConfigMap, behind
the portal's own OAuth2-Proxy container and the Keycloak pod of the SSO test infrastructure (the
kind tier's, tests/browser/kind_stack.py: shared, not copied). Screenshots in
tests/output/browser/portal/ (``2x-kind-*.png``).

What verify.yml gives it: ``AIRGAP_PORTAL_DIFY_APPS`` (the stand-in's apps.json: the apps it holds)
and ``AIRGAP_PORTAL_TILES`` (the inventory's ``portal_tiles`` as JSON). Without an existing platform
it is skipped: the kind tier of ``make browser-kind`` converges no portal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from browser import portal_page
from browser.portal_page import SHOTS, titles
from browser.kind_stack import DOMAIN, INGRESS_ADDRESS, NAMESPACE, WORKDIR, KindSSO, get

PORTAL = "https://portal." + DOMAIN
CHAT = "https://chat." + DOMAIN
PEOPLE = {"pat": ("pat-pass-1", ["staff"]), "root": ("root-pass-1", ["platform-admins", "finance"])}

pytestmark = pytest.mark.skipif(os.environ.get("AIRGAP_SSO_KIND_PLATFORM") != "existing",
                                reason="needs molecule kind's converged platform (AIRGAP_SSO_KIND_PLATFORM=existing)")


@pytest.fixture(scope="module")
def expected():
    apps = json.loads(Path(os.environ["AIRGAP_PORTAL_DIFY_APPS"]).read_text(encoding="utf-8"))
    tiles = json.loads(os.environ["AIRGAP_PORTAL_TILES"])
    assert apps and tiles, "the Dify stand-in holds no app or the inventory declares no tile"
    return {"apps": apps, "tiles": tiles}


@pytest.fixture(scope="module")
def kind():
    if not KindSSO.resolves_to_router():
        pytest.fail("keycloak.%s does not resolve to %s in this process (molecule/kind/verify.yml runs it "
                    "with a private /etc/hosts)" % (DOMAIN, INGRESS_ADDRESS))
    stack = KindSSO(json.loads((WORKDIR / "images.json").read_text()))
    password = stack.keycloak_password()
    stack.start_router()  # with the portal's Route the role applied
    stack.keycloak_client(password).admin_token()
    for name, (secret, groups) in PEOPLE.items():
        stack.add_person(name, secret, groups=groups)
    return stack


@pytest.fixture(scope="module")
def browser(kind, tmp_path_factory):
    yield from portal_page.chromium(kind.ca.cert_path, tmp_path_factory, DOMAIN, INGRESS_ADDRESS, "airgap-portal-kind-test-ca")


def signed_in(kind, browser, name):
    kind.end_sessions(name)
    return portal_page.signed_in(browser, PORTAL, DOMAIN, name, PEOPLE[name][0])


def test_a_member_sees_the_dify_apps_and_the_declared_tiles_searches_and_follows_open_chat(kind, browser, expected):
    page = signed_in(kind, browser, "pat")
    page.screenshot(path=str(SHOTS / "20-kind-member-tiles.png"), full_page=True)
    assert page.locator("#who").inner_text() == "pat"
    shown = titles(page)
    assert shown[0] == "Open Chat", shown
    for app in expected["apps"]:  # the stand-in's apps, one named beyond the BMP ("Travel desk 🧭")
        assert app["name"] in shown, (app["name"], shown)
        href = page.locator(".tile[data-id='dify-%s']" % app["id"]).get_attribute("href")
        assert href == "https://dify.%s/app/%s/overview" % (DOMAIN, app["id"]), href
    for tile in expected["tiles"]:
        assert (tile["title"] in shown) == (not tile.get("groups")), (tile["title"], shown)
    assert len(shown) == 1 + len(expected["apps"]) + len([t for t in expected["tiles"] if not t.get("groups")])
    assert page.locator("#costs").is_hidden(), "a member sees the Costs link"

    page.fill("#search", "travel")
    page.screenshot(path=str(SHOTS / "21-kind-search.png"), full_page=True)
    assert titles(page) == [next(a["name"] for a in expected["apps"] if a["name"].lower().startswith("travel"))]
    page.fill("#search", "")
    assert len(titles(page)) == len(shown)

    # "Open Chat" leads to the chat's Route (Open WebUI's host); the router answers for it if the scenario
    # runs Open WebUI, and Chromium's navigation is the proof that the tile leads there either way.
    with page.expect_request(lambda r: r.is_navigation_request() and r.url.startswith(CHAT)) as chat:
        page.click(".tile[data-id='tile-open-chat']")
    assert chat.value.url.rstrip("/") == CHAT, chat.value.url
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "22-kind-open-chat.png"), full_page=True)


def test_only_an_admin_sees_the_costs_link(kind, browser, expected):
    page = signed_in(kind, browser, "root")
    page.screenshot(path=str(SHOTS / "23-kind-admin-costs.png"), full_page=True)
    costs = page.locator("#costs")
    assert costs.is_visible(), "an admin (platform-admins) does not see the Costs link"
    assert costs.get_attribute("href") == "https://litellm.%s/ui" % DOMAIN
    shown = titles(page)
    for tile in expected["tiles"]:  # the admin is in finance too: every declared tile
        assert tile["title"] in shown, (tile["title"], shown)


def test_the_page_applied_holds_the_emoji_as_themselves(expected):
    """The ConfigMap the portal wave applied: titles beyond the BMP as themselves (no HTML character
    reference, no surrogate), as the browser showed them above."""
    data = get("configmap", NAMESPACE, "portal-page")["data"]["index.html"]
    for title in [a["name"] for a in expected["apps"]] + [t["title"] for t in expected["tiles"]]:
        if any(ord(c) > 0xFFFF for c in title):
            assert ">%s<" % title in data, title
    assert "&#x" not in data and not any(0xD800 <= ord(c) <= 0xDFFF for c in data)
