"""The portal's landing page in a real browser: Chromium from Debian, driven by Playwright, on loopback.

The page is what the portal role renders (its ConfigMap, through Ansible from
the role's templates) for 60 Dify apps, one of them named <script>, and the
declared tiles. It is served by a labelled stand-in for the pod
(tests/browser/portal_server.py) that answers OAuth2-Proxy's /oauth2/userinfo
for a member and for an admin. Screenshots in tests/output/browser/portal/.
"""

from __future__ import annotations

import json
import sys

import pytest
from playwright import sync_api as playwright

from helpers.paths import REPO
from browser.chromium import CHROMIUM
from browser.portal_server import PortalServer

sys.path.insert(0, str(REPO / "tests" / "unit" / "portal"))
from test_portal_render import EVIL, variables

from helpers.role_render import render_role_objects

SHOTS = REPO / "tests" / "output" / "browser" / "portal"
MEMBER = {"user": "alice", "email": "alice@example.test", "groups": ["/staff"], "preferredUsername": "alice"}
ADMIN = {"user": "root", "email": "root@example.test", "groups": ["/platform-admins"], "preferredUsername": "root"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    objects = render_role_objects("portal", ["page.yml.j2"], variables())
    root = tmp_path_factory.mktemp("portal-page")
    for name, text in objects[("ConfigMap", "portal-page")]["data"].items():
        (root / name).write_text(text)
        (root / name).chmod(0o444)
    root.chmod(0o555)
    return root


@pytest.fixture(scope="module")
def chromium():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            yield browser
        finally:
            browser.close()


def open_page(chromium, server):
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('who').textContent.length > 0")
    return page, seen, alerts


def visible_titles(page):
    return page.eval_on_selector_all(".tile:not([hidden]) .title", "els => els.map(e => e.textContent)")


def test_a_member_sees_the_tiles_filters_them_and_has_open_chat_but_no_costs(chromium, files):
    with PortalServer(files, MEMBER) as server:
        page, seen, alerts = open_page(chromium, server)
        titles = visible_titles(page)
        page.screenshot(path=str(SHOTS / "01-member-all-tiles.png"), full_page=True)
        assert len(titles) == 58, "Open Chat, 56 Dify apps and the staff-only Wiki"
        assert titles[0] == "Open Chat" and EVIL in titles and "Wiki" in titles
        assert page.locator("#count").inner_text() == "58 of 58 shown"
        chat = page.locator(".tile[data-id='tile-open-chat']")
        assert chat.get_attribute("href") == "https://chat.apps.example.test"
        assert page.locator("#costs").is_hidden(), "the Costs link is for admins only"
        assert page.locator("#aup").get_attribute("href") == "acceptable-use.html"
        assert alerts == [], "a Dify app named <script> ran as a script"

        page.fill("#search", "App 42")
        shown = visible_titles(page)
        page.screenshot(path=str(SHOTS / "02-member-search-app-42.png"), full_page=True)
        assert shown == ["App 42"]
        assert page.locator("#count").inner_text() == "1 of 58 shown"
        page.fill("#search", "WORKFLOW does")
        assert len(visible_titles(page)) == 55, "every word, any case, in the title, description or kind"
        page.fill("#search", "no such thing")
        assert visible_titles(page) == [] and page.locator("#none").is_visible()
        page.fill("#search", "")
        page.click(".chip[data-category='Chat']")
        page.screenshot(path=str(SHOTS / "03-member-filter-chat.png"), full_page=True)
        assert visible_titles(page) == ["Open Chat", EVIL]

        page.goto(server.url + "/acceptable-use.html")
        assert page.locator("h1").inner_text() == "Acceptable use"
        origins = {url.split("/", 3)[2] for url in seen if not url.startswith("data:")}
        assert origins == {server.url.split("/", 3)[2]}, "the page asked another origin: %s" % seen


def test_an_admin_sees_costs_and_not_the_staff_tile(chromium, files):
    with PortalServer(files, ADMIN) as server:
        page, _seen, _alerts = open_page(chromium, server)
        page.screenshot(path=str(SHOTS / "04-admin-costs.png"), full_page=True)
        costs = page.locator("#costs")
        assert costs.is_visible() and costs.get_attribute("href") == "https://litellm.apps.example.test/ui"
        assert "Wiki" not in visible_titles(page), "the Wiki tile is for staff"
        assert page.locator("#who").inner_text() == "root"


def test_without_userinfo_group_tiles_and_costs_stay_hidden(chromium, files):
    with PortalServer(files, {}) as server:
        page = chromium.new_context().new_page()
        page.goto(server.url + "/")
        page.wait_for_function("document.getElementById('count').textContent.length > 0")
        page.wait_for_load_state("networkidle")
        assert page.locator("#costs").is_hidden()
        assert "Wiki" not in visible_titles(page)
        assert json.loads(page.locator(".tile[data-id='tile-wiki']").get_attribute("data-groups")) == ["staff"]
