"""airgap.dify_platform.keycloak_realm against a real Keycloak, run through ansible-playbook."""

import pytest

import keycloak_support as ks

REALM = "it-realm"


@pytest.fixture(scope="module")
def kc():
    yield from ks.server_without_realm(REALM)


@pytest.fixture
def proxy(kc):
    return ks.proxy()


SETTINGS = dict(
    realm=REALM,
    display_name="Integration realm",
    ssl_required="external",
    login_with_email_allowed=True,
    reset_password_allowed=True,
    brute_force_protected=True,
    remember_me=True,
    access_token_lifespan=300,
    sso_session_idle_timeout=1800,
    sso_session_max_lifespan=36000,
    attributes={"frontendUrl": ""},
)


def test_realm_lifecycle(kc, proxy):
    # Check mode: reports the creation, creates nothing.
    run = ks.run(kc, proxy.url, [ks.realm_task("check create", check_mode=True, **SETTINGS)])
    result = ks.ok(run, "check create")
    assert result["changed"] is True
    assert result["changes"] == ["realm"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["displayName"] == "Integration realm"
    assert result["id"] is None
    assert kc.realm(REALM) is None

    # Create, then the same again: no change the second time.
    run = ks.run(kc, proxy.url, [ks.realm_task("create", **SETTINGS), ks.realm_task("again", **SETTINGS)])
    created, again = ks.ok(run, "create"), ks.ok(run, "again")
    assert created["changed"] is True
    server = kc.realm(REALM)
    assert server is not None and server["enabled"] is True
    assert created["id"] == server["id"]
    assert (server["displayName"], server["sslRequired"], server["accessTokenLifespan"]) == (
        "Integration realm", "external", 300)
    assert (server["bruteForceProtected"], server["rememberMe"], server["ssoSessionMaxLifespan"]) == (True, True, 36000)
    assert again["changed"] is False, again["diff"]
    assert again["changes"] == []
    # No "Module did not set no_log for reset_password_allowed" on every run (issue 17, item 10).
    # ansible-core shows module warnings on the console, not in the registered result.
    assert "did not set no_log" not in run.stdout + run.stderr
    assert again["diff"]["before"] == again["diff"]["after"]
    assert run.stats["changed"] == 1

    # A no-op costs the token plus one GET.
    proxy.reset()
    run = ks.run(kc, proxy.url, [ks.realm_task("noop", **SETTINGS)])
    assert ks.ok(run, "noop")["changed"] is False
    assert len(proxy.requests(token=True)) == 1
    assert [(r.method, r.status) for r in proxy.requests(token=False)] == [("GET", 200)]

    # Check-mode update: the diff tells what would change; the server keeps its values.
    update = ks.merged(SETTINGS, display_name="Renamed", access_token_lifespan=600, ssl_required="all")
    run = ks.run(kc, proxy.url, [ks.realm_task("check update", check_mode=True, **update)])
    result = ks.ok(run, "check update")
    assert result["changed"] is True
    assert result["changes"] == ["accessTokenLifespan", "displayName", "sslRequired"]
    assert result["diff"]["before"]["accessTokenLifespan"] == 300
    assert result["diff"]["after"]["accessTokenLifespan"] == 600
    assert result["diff"]["before"]["displayName"] == "Integration realm"
    server = kc.realm(REALM)
    assert (server["displayName"], server["accessTokenLifespan"], server["sslRequired"]) == (
        "Integration realm", 300, "external")

    # Update for real; fields that were not declared stay as they were.
    run = ks.run(kc, proxy.url, [ks.realm_task("update", **update), ks.realm_task("update again", **update)])
    assert ks.ok(run, "update")["changed"] is True
    assert ks.ok(run, "update again")["changed"] is False
    server = kc.realm(REALM)
    assert (server["displayName"], server["accessTokenLifespan"], server["sslRequired"]) == ("Renamed", 600, "all")
    assert server["bruteForceProtected"] is True and server["resetPasswordAllowed"] is True

    # Only what is declared is compared: a partial declaration is a no-op.
    run = ks.run(kc, proxy.url, [ks.realm_task("partial", realm=REALM, remember_me=True)])
    assert ks.ok(run, "partial")["changed"] is False

    # Delete: check mode first, then for real, then again (nothing to do).
    run = ks.run(kc, proxy.url, [ks.realm_task("check delete", check_mode=True, realm=REALM, state="absent")])
    result = ks.ok(run, "check delete")
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert result["diff"]["before"]["realm"] == REALM
    assert kc.realm(REALM) is not None
    run = ks.run(kc, proxy.url, [ks.realm_task("delete", realm=REALM, state="absent"),
                                 ks.realm_task("delete again", realm=REALM, state="absent")])
    assert ks.ok(run, "delete")["changed"] is True
    assert ks.ok(run, "delete again")["changed"] is False
    assert kc.realm(REALM) is None


def test_realm_settings_and_attributes_are_compared_as_strings_and_sets(kc, proxy):
    options = dict(realm=REALM, settings={"internationalizationEnabled": True,
                                          "supportedLocales": ["en", "de"], "defaultLocale": "en"},
                   attributes={"x-platform-managed": True})
    run = ks.run(kc, proxy.url, [ks.realm_task("create", **options)])
    assert ks.ok(run, "create")["changed"] is True
    server = kc.realm(REALM)
    assert sorted(server["supportedLocales"]) == ["de", "en"]
    assert server["attributes"]["x-platform-managed"] == "true"
    reordered = ks.merged(options, settings=ks.merged(options["settings"], supportedLocales=["de", "en"]),
                          attributes={"x-platform-managed": "true"})
    run = ks.run(kc, proxy.url, [ks.realm_task("reordered", **reordered)])
    assert ks.ok(run, "reordered")["changed"] is False
    ks.delete_realm(kc, REALM)


def test_realm_refuses_settings_that_have_an_option(kc, proxy):
    run = ks.run(kc, proxy.url, [ks.realm_task("bad", realm=REALM, settings={"displayName": "x"})])
    result = run.result("bad")
    assert result["failed"] is True
    assert "use the dedicated options" in result["msg"]
    assert proxy.requests() == []  # refused before any request
