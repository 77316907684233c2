"""airgap.dify_platform.keycloak_client against a real Keycloak, run through ansible-playbook."""

import hashlib
import secrets

import pytest

import keycloak_support as ks

REALM = "it-clients"
MASK, MASK_CHANGED = "********", "******** (changed)"


@pytest.fixture(scope="module")
def kc():
    server = ks.server()
    ks.delete_realm(server, REALM)
    ks.ensure_realm(server, REALM)
    yield server
    ks.delete_realm(server, REALM)


@pytest.fixture
def proxy(kc):
    return ks.proxy()


def oauth2_proxy(client_id, **overrides):
    options = dict(
        realm=REALM,
        client_id=client_id,
        name="OAuth2 Proxy",
        public_client=False,
        standard_flow=True,
        direct_access_grants=False,
        service_accounts=True,
        pkce="S256",
        redirect_uris=["https://dify.example.test/oauth2/callback", "https://console.example.test/oauth2/callback"],
        web_origins=["https://dify.example.test", "https://console.example.test"],
        post_logout_redirect_uris=["https://dify.example.test/", "https://console.example.test/"],
        default_client_scopes=["basic", "profile", "email", "roles", "web-origins"],
        optional_client_scopes=["offline_access"],
        protocol_mappers=[
            {"name": "groups", "type": "groups"},
            {"name": "audience", "type": "audience"},
            {"name": "email", "type": "user_property", "user_attribute": "email"},
        ],
        attributes={"use.refresh.tokens": True, "access.token.lifespan": 300},
    )
    options.update(overrides)
    return options


def mappers_by_name(client):
    return dict((m["name"], m) for m in client.get("protocolMappers") or [])


def sha256(value):
    return hashlib.sha256(value.encode()).hexdigest()


def reveal_hash_task():
    """A task that shows the registered secret only as a hash, and the id in clear."""
    return {"name": "reveal", "ansible.builtin.debug": {
        "msg": "{{ {'id': result.id, 'secret_sha256': (result.secret | hash('sha256')), 'changed': result.changed} }}"}}


def test_client_lifecycle(kc, proxy):
    options = oauth2_proxy("it-oauth2-proxy")

    # Check mode: reports the creation, creates nothing.
    run = ks.run(kc, proxy.url, [ks.client_task("check create", check_mode=True, **options)])
    result = ks.ok(run, "check create")
    assert result["changed"] is True and result["changes"] == ["client"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["redirectUris"] == sorted(options["redirect_uris"])
    assert result["id"] is None and result["secret"] is None
    assert kc.client(REALM, "it-oauth2-proxy") is None

    # Create with no_log (the secret is generated and returned); show only its hash and the id.
    run = ks.run(kc, proxy.url, [ks.client_task("create", no_log=True, **options), reveal_hash_task()])
    assert run.returncode == 0, run.stderr
    shown = ks.ok(run, "reveal")["msg"]
    client = kc.client(REALM, "it-oauth2-proxy")
    assert client is not None
    assert shown["changed"] is True
    assert shown["id"] == client["id"]
    assert shown["secret_sha256"] == sha256(client["secret"])
    assert client["secret"] not in run.stdout + run.stderr
    # The module reads the secret from the client representation (one request); it is the
    # value of the client-secret endpoint, which it reads only when the representation lacks it.
    assert kc.get("/admin/realms/%s/clients/%s/client-secret" % (REALM, client["id"]))["value"] == client["secret"]
    # What the server holds is what was declared.
    assert client["publicClient"] is False and client["serviceAccountsEnabled"] is True
    assert client["directAccessGrantsEnabled"] is False
    assert sorted(client["redirectUris"]) == sorted(options["redirect_uris"])
    assert sorted(client["webOrigins"]) == sorted(options["web_origins"])
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert sorted(client["attributes"]["post.logout.redirect.uris"].split("##")) == sorted(
        options["post_logout_redirect_uris"])
    assert client["attributes"]["use.refresh.tokens"] == "true"
    assert client["attributes"]["access.token.lifespan"] == "300"
    assert sorted(client["defaultClientScopes"]) == sorted(options["default_client_scopes"] + ["service_account"])
    assert client["optionalClientScopes"] == ["offline_access"]
    mappers = mappers_by_name(client)
    assert sorted(mappers) == ["audience", "email", "groups"]
    assert mappers["groups"]["protocolMapper"] == "oidc-group-membership-mapper"
    assert mappers["groups"]["config"]["claim.name"] == "groups"
    assert mappers["audience"]["config"]["included.client.audience"] == "it-oauth2-proxy"

    # No-op: nothing changes, and it costs the token plus one GET.
    proxy.reset()
    run = ks.run(kc, proxy.url, [ks.client_task("noop", no_log=True, **options), reveal_hash_task()])
    shown = ks.ok(run, "reveal")["msg"]
    assert shown["changed"] is False
    assert shown["secret_sha256"] == sha256(client["secret"])
    assert len(proxy.requests(token=True)) == 1
    assert [(r.method, r.status) for r in proxy.requests(token=False)] == [("GET", 200)]

    # Diff of a no-op without no_log: before == after and the secret is nowhere.
    run = ks.run(kc, proxy.url, [ks.client_task("noop diff", **ks.merged(options, secret=None))])
    result = ks.ok(run, "noop diff")
    assert result["changed"] is False and result["diff"]["before"] == result["diff"]["after"]
    assert result["end_state"]["secret"] == MASK

    # Check-mode update of redirect URIs and a mapper: diff tells, server unchanged.
    changed = oauth2_proxy(
        "it-oauth2-proxy",
        redirect_uris=["https://dify.example.test/oauth2/callback"],
        protocol_mappers=[{"name": "groups", "type": "groups", "full_path": True, "claim_name": "grp"},
                          {"name": "audience", "type": "audience"},
                          {"name": "email", "type": "user_property", "user_attribute": "email"}],
    )
    run = ks.run(kc, proxy.url, [ks.client_task("check update", check_mode=True, no_log=False, **changed)])
    result = ks.ok(run, "check update")
    assert result["changed"] is True
    assert result["changes"] == ["protocolMappers", "redirectUris"]
    assert result["diff"]["before"]["protocolMappers"]["groups"]["config"]["full.path"] == "false"
    assert result["diff"]["after"]["protocolMappers"]["groups"]["config"]["full.path"] == "true"
    assert result["diff"]["before"]["redirectUris"] == sorted(options["redirect_uris"])
    assert result["diff"]["after"]["redirectUris"] == ["https://dify.example.test/oauth2/callback"]
    assert kc.client(REALM, "it-oauth2-proxy") == client

    # Update for real, then again: the mapper keeps its id, the secret stays.
    run = ks.run(kc, proxy.url, [ks.client_task("update", no_log=True, **changed),
                                 ks.client_task("update again", no_log=True, register="again", **changed),
                                 {"name": "changed?", "ansible.builtin.debug": {
                                     "msg": "{{ [result.changed, result.changes, again.changed] }}"}}])
    assert ks.ok(run, "changed?")["msg"] == [True, ["protocolMappers", "redirectUris"], False]
    updated = kc.client(REALM, "it-oauth2-proxy")
    assert updated["redirectUris"] == ["https://dify.example.test/oauth2/callback"]
    groups = mappers_by_name(updated)["groups"]
    assert groups["id"] == mappers_by_name(client)["groups"]["id"]
    assert (groups["config"]["full.path"], groups["config"]["claim.name"]) == ("true", "grp")
    assert updated["secret"] == client["secret"]
    assert updated["attributes"]["use.refresh.tokens"] == "true"

    # Delete: check mode first, then for real, then again.
    absent = dict(realm=REALM, client_id="it-oauth2-proxy", state="absent")
    run = ks.run(kc, proxy.url, [ks.client_task("check delete", check_mode=True, **absent)])
    result = ks.ok(run, "check delete")
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert result["diff"]["before"]["secret"] == MASK
    assert client["secret"] not in run.stdout + run.stderr
    assert kc.client(REALM, "it-oauth2-proxy") is not None
    run = ks.run(kc, proxy.url, [ks.client_task("delete", **absent), ks.client_task("delete again", **absent)])
    assert ks.ok(run, "delete")["changed"] is True
    assert ks.ok(run, "delete again")["changed"] is False
    assert kc.client(REALM, "it-oauth2-proxy") is None


def test_secret_enforcement_and_reporting(kc, proxy):
    client_id = "it-secret"
    base = dict(realm=REALM, client_id=client_id, redirect_uris=["https://litellm.example.test/sso/callback"])
    run = ks.run(kc, proxy.url, [ks.client_task("create", no_log=True, **base)])
    assert run.returncode == 0, run.stderr
    generated = kc.client(REALM, client_id)["secret"]
    wanted = "it-" + secrets.token_urlsafe(24)

    # Check mode: a different secret is a change, shown masked; the server keeps the old one.
    run = ks.run(kc, proxy.url, [ks.client_task("check", check_mode=True, secret=wanted, **base)])
    result = ks.ok(run, "check")
    assert result["changed"] is True and result["changes"] == ["secret"]
    assert result["diff"]["before"]["secret"] == MASK
    assert result["diff"]["after"]["secret"] == MASK_CHANGED
    assert kc.client(REALM, client_id)["secret"] == generated
    output = run.stdout + run.stderr
    assert generated not in output and wanted not in output

    # Enforce it: changed, masked in the diff, set on the server, in no output.
    run = ks.run(kc, proxy.url, [ks.client_task("enforce", secret=wanted, **base)])
    result = ks.ok(run, "enforce")
    assert result["changed"] is True and result["changes"] == ["secret"]
    assert result["diff"]["after"]["secret"] == MASK_CHANGED
    assert result["end_state"]["secret"] == MASK
    assert kc.client(REALM, client_id)["secret"] == wanted
    output = run.stdout + run.stderr
    assert generated not in output and wanted not in output

    # The same secret again: no change, still masked.
    run = ks.run(kc, proxy.url, [ks.client_task("again", secret=wanted, **base)])
    result = ks.ok(run, "again")
    assert result["changed"] is False
    assert result["diff"]["before"]["secret"] == MASK and result["diff"]["after"]["secret"] == MASK
    assert wanted not in run.stdout + run.stderr

    # Someone rotates it behind our back: the next run puts it back and says so.
    status = kc.api("POST", "/admin/realms/%s/clients/%s/client-secret" % (REALM, result["id"]))[0]
    assert status == 200
    rotated = kc.client(REALM, client_id)["secret"]
    assert rotated != wanted
    run = ks.run(kc, proxy.url, [ks.client_task("restore", secret=wanted, **base)])
    result = ks.ok(run, "restore")
    assert result["changed"] is True and result["changes"] == ["secret"]
    assert kc.client(REALM, client_id)["secret"] == wanted
    assert rotated not in run.stdout + run.stderr and wanted not in run.stdout + run.stderr


def test_public_client_has_no_secret(kc, proxy):
    options = dict(realm=REALM, client_id="it-public", public_client=True, pkce="S256",
                   redirect_uris=["https://webui.example.test/*"], web_origins=["+"])
    run = ks.run(kc, proxy.url, [ks.client_task("create", **options), ks.client_task("again", **options)])
    created = ks.ok(run, "create")
    assert created["changed"] is True and created["secret"] is None
    assert ks.ok(run, "again")["changed"] is False
    client = kc.client(REALM, "it-public")
    assert client["publicClient"] is True
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"

    # Turning PKCE off removes the attribute; asking for "none" again is no change.
    run = ks.run(kc, proxy.url, [ks.client_task("no pkce", **ks.merged(options, pkce="none")),
                                 ks.client_task("no pkce again", **ks.merged(options, pkce="none"))])
    assert ks.ok(run, "no pkce")["changed"] is True
    assert ks.ok(run, "no pkce again")["changed"] is False
    assert kc.client(REALM, "it-public")["attributes"].get("pkce.code.challenge.method", "") == ""

    run = ks.run(kc, proxy.url, [ks.client_task("secret on public", **ks.merged(options, secret="x"))])
    result = run.result("secret on public")
    assert result["failed"] is True and "public client has no secret" in result["msg"]


def test_scopes_and_mappers_converge(kc, proxy):
    client_id = "it-scopes"
    options = dict(realm=REALM, client_id=client_id, default_client_scopes=["profile", "email"],
                   optional_client_scopes=["offline_access", "address"],
                   protocol_mappers=[{"name": "team", "type": "hardcoded_claim", "claim_name": "team",
                                      "claim_value": "ai"}])
    run = ks.run(kc, proxy.url, [ks.client_task("create", no_log=True, **options)])
    assert run.returncode == 0, run.stderr
    client = kc.client(REALM, client_id)
    assert sorted(client["defaultClientScopes"]) == ["email", "profile"]
    assert sorted(client["optionalClientScopes"]) == ["address", "offline_access"]

    # Move email to optional, drop address, add roles; add a raw mapper and purge one added by hand.
    status = kc.api("POST", "/admin/realms/%s/clients/%s/protocol-mappers/models" % (REALM, client["id"]),
                    {"name": "by-hand", "protocol": "openid-connect",
                     "protocolMapper": "oidc-hardcoded-claim-mapper",
                     "config": {"claim.name": "x", "claim.value": "y"}})[0]
    assert status == 201
    moved = ks.merged(
        options, default_client_scopes=["profile", "roles"],
        optional_client_scopes=["offline_access", "email"],
        protocol_mappers=options["protocol_mappers"] + [
            {"name": "session-note", "protocol_mapper": "oidc-usersessionmodel-note-mapper",
             "config": {"user.session.note": "tenant", "claim.name": "tenant", "access.token.claim": True}}])
    run = ks.run(kc, proxy.url, [ks.client_task("keep by-hand", check_mode=True, **moved),
                                 ks.client_task("move", purge_protocol_mappers=True, **moved),
                                 ks.client_task("move again", purge_protocol_mappers=True, **moved)])
    kept = ks.ok(run, "keep by-hand")
    assert "by-hand" not in kept["diff"]["before"]["protocolMappers"]  # not purged, not compared
    result = ks.ok(run, "move")
    assert result["changes"] == ["defaultClientScopes", "optionalClientScopes", "protocolMappers"]
    assert "by-hand" in result["diff"]["before"]["protocolMappers"]
    assert "by-hand" not in result["diff"]["after"]["protocolMappers"]
    assert ks.ok(run, "move again")["changed"] is False
    client = kc.client(REALM, client_id)
    assert sorted(client["defaultClientScopes"]) == ["profile", "roles"]
    assert sorted(client["optionalClientScopes"]) == ["email", "offline_access"]
    assert sorted(mappers_by_name(client)) == ["session-note", "team"]
    assert mappers_by_name(client)["session-note"]["config"]["access.token.claim"] == "true"


def test_unknown_scope_fails_before_creating(kc, proxy):
    run = ks.run(kc, proxy.url, [ks.client_task("bad scope", realm=REALM, client_id="it-bad",
                                                default_client_scopes=["profile", "no-such-scope"])])
    result = run.result("bad scope")
    assert result["failed"] is True
    assert "client scope(s) no-such-scope do not exist in realm it-clients" in result["msg"]
    assert kc.client(REALM, "it-bad") is None

    # On an existing client, an unknown scope fails before any other declared change is written.
    base = dict(realm=REALM, client_id="it-bad", description="first")
    run = ks.run(kc, proxy.url, [ks.client_task("create", no_log=True, **base)])
    assert run.returncode == 0, run.stderr
    run = ks.run(kc, proxy.url, [ks.client_task("bad update", **ks.merged(
        base, description="second", optional_client_scopes=["no-such-scope"]))])
    result = run.result("bad update")
    assert result["failed"] is True and "no-such-scope do not exist" in result["msg"]
    assert kc.client(REALM, "it-bad")["description"] == "first"
    assert [r.method for r in proxy.requests(token=False)][-2:] == ["GET", "GET"]  # the client, the scopes; no write


def test_missing_realm_is_a_clear_error(kc, proxy):
    run = ks.run(kc, proxy.url, [ks.client_task("no realm", realm="it-no-such-realm", client_id="x")])
    result = run.result("no realm")
    assert result["failed"] is True and result["msg"] == "realm it-no-such-realm does not exist"


def test_create_whose_answer_was_lost_is_not_created_twice(kc, proxy):
    """Keycloak creates the client but the 201 is lost (503 on the way back): the retry
    conflicts (409), and the module finds the client, finishes it, and says it created it."""
    options = dict(realm=REALM, client_id="it-lost-answer", redirect_uris=["https://x.example.test/cb"],
                   protocol_mappers=[{"name": "groups", "type": "groups"}])
    proxy.fail_next(1, 503, authenticated_only=True, method="POST", forward=True)
    run = ks.run(kc, proxy.url, [ks.client_task("create", no_log=True, **options), reveal_hash_task()])
    shown = ks.ok(run, "reveal")["msg"]
    client = kc.client(REALM, "it-lost-answer")
    assert shown["changed"] is True and shown["id"] == client["id"]
    posts = [(r.status, r.injected) for r in proxy.requests(token=False) if r.method == "POST"]
    assert posts == [(503, True), (409, False)]
    assert client["redirectUris"] == ["https://x.example.test/cb"]
    assert sorted(mappers_by_name(client)) == ["groups"]
    run = ks.run(kc, proxy.url, [ks.client_task("again", **options)])
    assert ks.ok(run, "again")["changed"] is False
