"""The Keycloak compare and normalise logic: what counts as a change, and what the diff shows."""

from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.compare import (
    canonical_client,
    changed_keys,
    client_changes,
    display,
    mapper_plan,
    merged_mapper,
    project,
    realm_changes,
    same,
    scalar,
    scope_plan,
)

# What GET /admin/realms/r/clients?clientId=app answers (Keycloak 26), trimmed.
SERVER_CLIENT = {
    "id": "6f1c",
    "clientId": "app",
    "enabled": True,
    "secret": "s3cr3t",
    "publicClient": False,
    "redirectUris": ["https://b/cb", "https://a/cb"],
    "webOrigins": ["+"],
    "standardFlowEnabled": True,
    "serviceAccountsEnabled": True,
    "protocol": "openid-connect",
    "attributes": {
        "realm_client": "false",
        "pkce.code.challenge.method": "S256",
        "post.logout.redirect.uris": "https://b/##https://a/",
        "client.secret.creation.time": "1795220402",
    },
    "protocolMappers": [
        {"id": "m1", "name": "groups", "protocol": "openid-connect",
         "protocolMapper": "oidc-group-membership-mapper", "consentRequired": False,
         "config": {"claim.name": "groups", "full.path": "false", "access.token.claim": "true"}},
        {"id": "m2", "name": "server-added", "protocol": "openid-connect",
         "protocolMapper": "oidc-hardcoded-claim-mapper", "config": {"claim.name": "x", "claim.value": "y"}},
    ],
    "defaultClientScopes": ["web-origins", "service_account", "profile", "email"],
    "optionalClientScopes": ["offline_access"],
}


def declared(**fields):
    rep = {"clientId": "app", "protocol": "openid-connect"}
    rep.update(fields)
    return rep


def test_scalar_is_keycloaks_string_form():
    assert scalar(True) == "true"
    assert scalar(False) == "false"
    assert scalar(300) == "300"
    assert scalar(300.0) == "300"
    assert scalar(None) == ""
    assert scalar("S256") == "S256"


def test_same_compares_declared_keys_only():
    assert same({"a": "1"}, {"a": 1, "b": 2})
    assert not same({"a": "2"}, {"a": 1})
    assert same({"a": None}, {"a": 1})  # None is "not declared"
    assert not same({"a": {"b": "x"}}, {"a": "x"})
    assert not same("x", {"a": "x"})


def test_same_treats_scalar_lists_as_sets_and_dict_lists_in_order():
    assert same(["a", "b"], ["b", "a", "a"])
    assert not same(["a", "b"], ["a"])
    assert same([], None)
    assert not same([{"x": 1}, {"x": 2}], [{"x": 2}, {"x": 1}])
    assert same([{"x": 1}], [{"x": "1", "y": 5}])


def test_absent_attribute_equals_empty_string():
    # Keycloak drops an attribute set to "" (e.g. PKCE disabled): asking for "" again is no change.
    assert same({"attributes": {"pkce.code.challenge.method": ""}}, {"attributes": {}})
    assert not same({"attributes": {"pkce.code.challenge.method": "S256"}}, {"attributes": {}})


def test_no_change_when_declared_values_match_in_canonical_form():
    desired = declared(
        redirectUris=["https://a/cb", "https://b/cb"],
        enabled=True,
        attributes={"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "https://a/##https://b/"},
        protocolMappers=[{"name": "groups", "protocol": "openid-connect",
                          "protocolMapper": "oidc-group-membership-mapper",
                          "config": {"claim.name": "groups", "full.path": "false", "access.token.claim": "true"}}],
        defaultClientScopes=["email", "profile", "web-origins"],
        optionalClientScopes=["offline_access"],
        secret="s3cr3t",
    )
    keys, before, after = client_changes(desired, SERVER_CLIENT)
    assert keys == []
    assert before == after


def test_service_account_scope_kept_unless_declared():
    desired = declared(defaultClientScopes=["profile", "email", "web-origins"])
    assert client_changes(desired, SERVER_CLIENT)[0] == []
    # Declaring it optional moves it, so it is no longer ignored.
    desired = declared(defaultClientScopes=["profile", "email", "web-origins"], optionalClientScopes=["service_account"])
    assert client_changes(desired, SERVER_CLIENT)[0] == ["defaultClientScopes", "optionalClientScopes"]


def test_scope_change_is_detected_both_ways():
    assert client_changes(declared(defaultClientScopes=["profile", "web-origins"]), SERVER_CLIENT)[0] == [
        "defaultClientScopes"]
    assert client_changes(declared(optionalClientScopes=[]), SERVER_CLIENT)[0] == ["optionalClientScopes"]


def test_changed_secret_is_a_change():
    keys, before, after = client_changes(declared(secret="other"), SERVER_CLIENT)
    assert keys == ["secret"]
    assert before["secret"] == "s3cr3t" and after["secret"] == "other"


def test_redirect_uri_change_and_diff_views_are_sorted():
    keys, before, after = client_changes(declared(redirectUris=["https://c/cb", "https://a/cb"]), SERVER_CLIENT)
    assert keys == ["redirectUris"]
    assert before["redirectUris"] == ["https://a/cb", "https://b/cb"]
    assert after["redirectUris"] == ["https://a/cb", "https://c/cb"]
    assert set(before) == {"clientId", "protocol", "redirectUris"}  # only declared keys


def test_post_logout_redirect_uris_compare_as_a_set():
    same_set = declared(attributes={"post.logout.redirect.uris": "https://a/##https://b/"})
    assert client_changes(same_set, SERVER_CLIENT)[0] == []
    other = declared(attributes={"post.logout.redirect.uris": "https://a/"})
    keys, before, after = client_changes(other, SERVER_CLIENT)
    assert keys == ["attributes"]
    assert before["attributes"] == {"post.logout.redirect.uris": ["https://a/", "https://b/"]}
    assert after["attributes"] == {"post.logout.redirect.uris": ["https://a/"]}


def test_mapper_config_change_is_detected_and_undeclared_mappers_are_ignored():
    mapper = {"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
              "config": {"claim.name": "groups", "full.path": True}}
    keys, before, after = client_changes(declared(protocolMappers=[mapper]), SERVER_CLIENT)
    assert keys == ["protocolMappers"]
    assert before["protocolMappers"] == {"groups": {"protocol": "openid-connect",
                                                    "protocolMapper": "oidc-group-membership-mapper",
                                                    "config": {"claim.name": "groups", "full.path": "false"}}}
    assert after["protocolMappers"]["groups"]["config"] == {"claim.name": "groups", "full.path": "true"}
    assert "server-added" not in before["protocolMappers"]


def test_purge_reports_undeclared_mappers():
    mapper = {"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
              "config": {"claim.name": "groups"}}
    assert client_changes(declared(protocolMappers=[mapper]), SERVER_CLIENT)[0] == []
    keys, before, after = client_changes(declared(protocolMappers=[mapper]), SERVER_CLIENT,
                                         purge_protocol_mappers=True)
    assert keys == ["protocolMappers"]
    assert "server-added" in before["protocolMappers"] and "server-added" not in after["protocolMappers"]


def test_new_mapper_is_a_change():
    new = {"name": "aud", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
           "config": {"included.client.audience": "app"}}
    keys, before, _after = client_changes(declared(protocolMappers=[new]), SERVER_CLIENT)
    assert keys == ["protocolMappers"]
    assert before["protocolMappers"] == {"aud": None}


def test_canonical_client_keys_mappers_by_name_and_splits_uris():
    canonical = canonical_client(SERVER_CLIENT)
    assert set(canonical["protocolMappers"]) == {"groups", "server-added"}
    assert "id" not in canonical["protocolMappers"]["groups"]
    assert canonical["attributes"]["post.logout.redirect.uris"] == ["https://b/", "https://a/"]
    assert SERVER_CLIENT["attributes"]["post.logout.redirect.uris"] == "https://b/##https://a/"  # not mutated


def test_realm_changes_normalise_numbers_and_ignore_undeclared():
    current = {"realm": "platform", "accessTokenLifespan": 300, "sslRequired": "external",
               "registrationAllowed": False, "attributes": {"frontendUrl": "", "x": "1"}}
    assert realm_changes({"realm": "platform", "accessTokenLifespan": 300, "sslRequired": "external"},
                         current)[0] == []
    keys, before, after = realm_changes({"realm": "platform", "accessTokenLifespan": 600,
                                         "displayName": "P", "attributes": {"x": "1"}}, current)
    assert keys == ["accessTokenLifespan", "displayName"]
    assert before == {"realm": "platform", "accessTokenLifespan": 300, "displayName": None, "attributes": {"x": "1"}}
    assert after["accessTokenLifespan"] == 600


def test_changed_keys_and_project():
    assert changed_keys({"a": 1, "b": None, "c": [1]}, {"a": "1", "c": [2]}) == ["c"]
    assert project({"a": {"b": 1}, "c": None}, {"a": {"b": 2, "x": 3}, "c": 4}) == {"a": {"b": 2}}
    assert display({"l": ["b", "a"], "d": [{"z": 1}, {"a": 2}]}) == {"l": ["a", "b"], "d": [{"z": 1}, {"a": 2}]}


def test_scope_plan_removes_before_adding_and_leaves_undeclared_types_alone():
    removals, additions = scope_plan({"default": ["a", "b"], "optional": None},
                                     {"default": ["b", "c"], "optional": ["x"]})
    assert removals == [("default", "c")]
    assert additions == [("default", "a")]
    removals, additions = scope_plan({"default": ["b"], "optional": ["c"]}, {"default": ["b", "c"], "optional": []})
    assert removals == [("default", "c")] and additions == [("optional", "c")]


def test_mapper_plan():
    current = SERVER_CLIENT["protocolMappers"]
    same_groups = {"name": "groups", "protocolMapper": "oidc-group-membership-mapper", "config": {"claim.name": "groups"}}
    changed_groups = dict(same_groups, config={"claim.name": "grp"})
    retyped = {"name": "server-added", "protocolMapper": "oidc-audience-mapper", "config": {}}
    new = {"name": "new", "protocolMapper": "oidc-audience-mapper", "config": {}}
    plan = mapper_plan([same_groups], current)
    assert plan == {"create": [], "update": [], "replace": [], "delete": []}
    plan = mapper_plan([changed_groups, retyped, new], current)
    assert plan["create"] == [new]
    assert [pair[1]["id"] for pair in plan["update"]] == ["m1"]
    assert [pair[1]["id"] for pair in plan["replace"]] == ["m2"]
    assert mapper_plan([same_groups], current, purge=True)["delete"] == [current[1]]


def test_merged_mapper_keeps_id_and_undeclared_config():
    body = merged_mapper({"name": "groups", "config": {"claim.name": "grp"}}, SERVER_CLIENT["protocolMappers"][0])
    assert body["id"] == "m1"
    assert body["config"] == {"claim.name": "grp", "full.path": "false", "access.token.claim": "true"}
