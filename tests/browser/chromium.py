"""Debian's Chromium for the SSO tiers: trusting only a test CA, Route hosts mapped to a router, no DNS.

Shared by the loopback tier (test_sso_path.py) and the kind tier (test_sso_kind.py); the pages they
open are Keycloak's, so the helpers that read them live here too.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess

from playwright import sync_api as playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextlib.contextmanager
def chromium_trusting(ca_path, home, domain, address, nickname):
    """A headless Chromium whose NSS database (under ``home``) holds only the test CA at ``ca_path``.

    Every host under ``domain`` resolves to ``address`` through Chromium's host-resolver rules, never
    through the machine's DNS.
    """
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", "sql:%s" % nssdb, "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", "sql:%s" % nssdb, "-t", "C,,", "-n", nickname, "-i", str(ca_path)],
                   check=True)
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, env={"HOME": str(home)},
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP *.%s %s" % (domain, address)])
        try:
            yield chromium
        finally:
            chromium.close()


def on_login_page(page, domain):
    """True when ``page`` is Keycloak's sign-in form of a realm under ``domain``."""
    return page.url.startswith("https://keycloak.%s/realms/" % domain) and page.locator("#kc-login").count() == 1


def sign_in(page, username, password):
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_load_state("networkidle")
