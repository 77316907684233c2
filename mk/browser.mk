# The SSO path in a real browser (issue 16): Chromium from Debian, driven by Playwright
# (requirements.txt; no browser download), through real Keycloak and OAuth2-Proxy and the
# test router (tests/router). Screenshots and logs land in tests/output/browser/.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.

.PHONY: browser
browser: venv ## The SSO path in real Chromium: sign in, identity, sign out, refused group, expired session, CA trust
	hack/ensure-packages.sh chromium=chromium certutil=libnss3-tools nginx=nginx-light unshare=util-linux
	hack/tools/oauth2-proxy.sh >/dev/null
	# The loopback tier only: test_sso_kind.py is the kind tier's (make browser-kind), which
	# needs its cluster and private /etc/hosts. The portal's page (docs/portal.md): in Chromium
	# on loopback, and through the real SSO path (its own router address, 127.0.77.3).
	hack/pytest.sh tests/browser/test_sso_path.py tests/browser/test_portal_page.py tests/browser/test_portal_sso.py
