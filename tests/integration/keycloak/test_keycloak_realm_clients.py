"""airgap.dify_platform.keycloak_realm_clients (action) against a real Keycloak, run through ansible-playbook.

Every request goes through the recording proxy, so the tests see what the
action really sent: one token, then reads, and writes only when something differs.
"""

import pytest

import keycloak_support as ks

REALM = "it-realm-clients"
MASK = "********"


@pytest.fixture(scope="module")
def kc():
    yield from ks.server_without_realm(REALM)


@pytest.fixture
def fresh(kc):
    """Start without the realm."""
    ks.delete_realm(kc, REALM)
    return kc


@pytest.fixture
def proxy(kc):
    return ks.proxy()


def client(client_id, **overrides):
    options = dict(
        client_id=client_id,
        name="Client %s" % client_id,
        public_client=False,
        pkce="S256",
        redirect_uris=["https://%s.example.test/callback" % client_id],
        web_origins=["https://%s.example.test" % client_id],
        post_logout_redirect_uris=["https://%s.example.test/*" % client_id],
        default_client_scopes=["basic", "profile", "email", "roles", "web-origins"],
        optional_client_scopes=["offline_access"],
        protocol_mappers=[{"name": "groups", "type": "groups"}, {"name": "audience", "type": "audience"}],
    )
    options.update(overrides)
    return options


def options(*clients, **overrides):
    result = dict(realm=REALM, realm_settings={"display_name": "Realm and clients", "access_token_lifespan": 300},
                  clients=list(clients))
    result.update(overrides)
    return result


TWO = options(client("it-a"), client("it-b"))


def writes(proxy):
    return [(r.method, r.path) for r in proxy.requests(token=False) if r.method != "GET"]


def test_check_mode_on_a_new_realm_reports_everything_and_creates_nothing(fresh, proxy):
    declared = options(client("it-a"), client("it-b", secret="it-declared-secret"),
                       {"client_id": "it-gone", "state": "absent"})
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("check", check_mode=True, **declared)])
    result = ks.ok(run, "check")
    assert result["changed"] is True
    assert result["realm"]["changes"] == ["realm"] and result["realm"]["id"] is None
    assert [(c["client_id"], c["changed"], c["changes"], c["id"]) for c in result["clients"]] == [
        ("it-a", True, ["client"], None), ("it-b", True, ["client"], None), ("it-gone", False, [], None)]
    assert result["clients"][0]["secret"] is None
    assert result["clients"][1]["secret"] == "it-declared-secret"  # the declared end state, in clear
    # One diff per object, realm first; the declared secret is masked there.
    assert [d["before_header"] for d in result["diff"]] == ["realm " + REALM, "client it-a", "client it-b",
                                                            "client it-gone"]
    assert result["diff"][0]["after"]["displayName"] == "Realm and clients"
    assert result["diff"][1]["before"] == {} and result["diff"][1]["after"]["publicClient"] is False
    assert result["diff"][2]["after"]["secret"] == MASK + " (changed)"
    assert "it-declared-secret" not in str(result["diff"])
    # The realm is read once; no client is queried, nothing is written.
    assert [(r.method, r.status) for r in proxy.requests(token=False)] == [("GET", 404)]
    assert fresh.realm(REALM) is None
    assert fresh.get("/admin/realms/%s/clients" % REALM) is None


def test_create_then_noop_with_the_same_secrets_and_no_write(fresh, proxy):
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("create", **TWO)])
    created = ks.ok(run, "create")
    assert created["changed"] is True
    assert created["realm"]["changes"] == ["realm"] and created["realm"]["id"] == fresh.realm(REALM)["id"]
    assert [(c["client_id"], c["changed"], c["changes"]) for c in created["clients"]] == [
        ("it-a", True, ["client"]), ("it-b", True, ["client"])]
    for result in created["clients"]:
        server = fresh.client(REALM, result["client_id"])
        assert result["id"] == server["id"]
        assert result["secret"] and result["secret"] == server["secret"]
        assert result["end_state"]["secret"] == MASK
        assert set(result) == {"client_id", "id", "secret", "changed", "changes", "end_state", "msg"}
    assert set(created["realm"]) == {"realm", "id", "changed", "changes", "end_state", "msg"}
    assert fresh.realm(REALM)["accessTokenLifespan"] == 300

    proxy.reset()
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("again", **TWO)])
    again = ks.ok(run, "again")
    assert again["changed"] is False, again["diff"]
    assert [c["changed"] for c in again["clients"]] == [False, False]
    assert [c["secret"] for c in again["clients"]] == [c["secret"] for c in created["clients"]]
    assert [c["id"] for c in again["clients"]] == [c["id"] for c in created["clients"]]
    # One sign-in, then one read of the realm and one per client: nothing else.
    assert len(proxy.requests(token=True)) == 1
    assert [r.method for r in proxy.requests(token=False)] == ["GET", "GET", "GET"]
    assert writes(proxy) == []
    assert again["msg"] == "Realm %s is up to date. 2 client(s) up to date." % REALM


def test_changed_redirect_uri_is_reported_and_applied(fresh, proxy):
    ks.ok(ks.run(fresh, proxy.url, [ks.realm_clients_task("create", **TWO)]), "create")
    moved = options(client("it-a"), client("it-b", redirect_uris=["https://moved.example.test/callback"]))
    proxy.reset()
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("check", check_mode=True, **moved)])
    result = ks.ok(run, "check")
    assert result["changed"] is True and result["clients"][1]["changes"] == ["redirectUris"]
    assert writes(proxy) == []
    assert fresh.client(REALM, "it-b")["redirectUris"] == ["https://it-b.example.test/callback"]

    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("move", **moved)])
    result = ks.ok(run, "move")
    assert result["changed"] is True
    assert result["realm"]["changed"] is False and result["clients"][0]["changed"] is False
    assert result["clients"][1]["changes"] == ["redirectUris"]
    assert result["msg"].endswith("1 of 2 client(s) changed: it-b.")
    diff = result["diff"][2]
    assert diff["before_header"] == "client it-b"
    assert diff["before"]["redirectUris"] == ["https://it-b.example.test/callback"]
    assert diff["after"]["redirectUris"] == ["https://moved.example.test/callback"]
    assert fresh.client(REALM, "it-b")["redirectUris"] == ["https://moved.example.test/callback"]
    assert ks.ok(ks.run(fresh, proxy.url, [ks.realm_clients_task("again", **moved)]), "again")["changed"] is False


def test_diff_only_in_diff_mode(fresh, proxy):
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("no diff", **TWO)], diff=False)
    result = ks.ok(run, "no diff")
    assert result["changed"] is True
    assert "diff" not in result and "diff" not in result["realm"]
    assert all("diff" not in c for c in result["clients"])
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("diff", **TWO)], diff=True)
    result = ks.ok(run, "diff")
    assert [d["before"] == d["after"] for d in result["diff"]] == [True, True, True]
    assert all("diff" not in c for c in result["clients"])


def test_bad_client_option_fails_naming_it_before_any_request(fresh, proxy):
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("bad choice", **options(client("it-a", pkce="S512")))])
    result = run.result("bad choice")
    assert result["failed"] is True
    assert "pkce" in result["msg"] and "clients" in result["msg"] and "S512" in result["msg"]

    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("unknown", **options(client("it-a", redirect_uri=["x"])))])
    result = run.result("unknown")
    assert result["failed"] is True and "redirect_uri" in result["msg"]

    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("public with secret", **options(
        client("it-a"), client("it-public", public_client=True, secret="x")))])
    result = run.result("public with secret")
    assert result["failed"] is True
    assert result["msg"] == "client it-public: a public client has no secret: drop secret or set public_client to false"
    assert proxy.requests() == []
    assert fresh.realm(REALM) is None


def test_a_failing_client_is_named_and_the_ones_before_it_are_reported(fresh, proxy):
    declared = options(client("it-a"), client("it-b", default_client_scopes=["profile", "no-such-scope"]))
    run = ks.run(fresh, proxy.url, [ks.realm_clients_task("bad scope", **declared)])
    result = run.result("bad scope")
    assert result["failed"] is True
    assert result["msg"] == "client it-b: client scope(s) no-such-scope do not exist in realm %s" % REALM
    assert result["changed"] is True
    assert [c["client_id"] for c in result["clients"]] == ["it-a"]
    assert fresh.client(REALM, "it-a") is not None and fresh.client(REALM, "it-b") is None


def test_module_defaults_of_the_keycloak_group_apply(fresh, proxy):
    # Without the group's defaults the connection is missing...
    run = ks.run_tasks([ks.realm_clients_task("no defaults", **TWO)])
    result = run.result("no defaults")
    assert result["failed"] is True and "auth_keycloak_url" in result["msg"]
    # ...with them (and nothing else), the task signs in through the proxy they name.
    run = ks.run_tasks([ks.realm_clients_task("defaults", **TWO)],
                       module_defaults={ks.GROUP: ks.connection(proxy.url, fresh)})
    assert ks.ok(run, "defaults")["changed"] is True
    assert len(proxy.requests(token=True)) == 1


def test_verbose_output_never_shows_the_admin_password(fresh, proxy):
    # A declared value that happens to equal the password is masked too, as a module would mask it.
    declared = options(client("it-a", secret="it-declared-secret", description=fresh.password))
    tasks = [ks.realm_clients_task("from defaults", **declared),
             ks.realm_clients_task("failing", **options(client("it-a", pkce="S512"))),
             ks.realm_clients_task("in the task", **dict(declared, **ks.connection(proxy.url, fresh)))]
    for task in tasks[1:]:
        task["ignore_errors"] = True
    run = ks.run_tasks(tasks, diff=True, verbosity=3, module_defaults={ks.GROUP: ks.connection(proxy.url, fresh)})
    output = run.stdout + run.stderr
    assert ks.ok(run, "from defaults")["changed"] is True
    assert run.result("failing")["failed"] is True
    result = ks.ok(run, "in the task")
    assert result["changed"] is False
    assert fresh.password not in output
    assert result["clients"][0]["end_state"]["description"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert fresh.client(REALM, "it-a")["description"] == fresh.password
    # The declared client secret is masked everywhere but in the clients' secret field.
    assert result["clients"][0]["secret"] == "it-declared-secret"
    assert result["diff"][1]["after"]["secret"] == MASK
