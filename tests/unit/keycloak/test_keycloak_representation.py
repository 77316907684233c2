"""Module parameters to Keycloak representations: only what was declared, in Keycloak's form."""

import re

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.auth import TokenAuth
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.mappers import mapper_representations
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    client_representation,
    realm_representation,
)


def client_params(**params):
    base = {"client_id": "app"}
    base.update(params)
    return base


def test_client_representation_holds_only_declared_fields():
    rep = client_representation(client_params(redirect_uris=["https://a/cb"], standard_flow=True, enabled=None))
    assert rep == {"clientId": "app", "protocol": "openid-connect", "redirectUris": ["https://a/cb"],
                   "standardFlowEnabled": True}


def test_client_attributes_from_dedicated_options_and_free_form():
    rep = client_representation(client_params(pkce="S256", post_logout_redirect_uris=["https://a/", "https://b/"],
                                              attributes={"use.refresh.tokens": True, "n": 5}))
    assert rep["attributes"] == {"pkce.code.challenge.method": "S256",
                                 "post.logout.redirect.uris": "https://a/##https://b/",
                                 "use.refresh.tokens": "true", "n": "5"}
    assert client_representation(client_params(pkce="none"))["attributes"] == {"pkce.code.challenge.method": ""}


def test_client_validation_errors():
    with pytest.raises(ValidationError, match="public client has no secret"):
        client_representation(client_params(public_client=True, secret="x"))
    with pytest.raises(ValidationError, match="both default and optional: email"):
        client_representation(client_params(default_client_scopes=["email"], optional_client_scopes=["email"]))
    with pytest.raises(ValidationError, match=re.escape("pkce.code.challenge.method")):
        client_representation(client_params(pkce="S256", attributes={"pkce.code.challenge.method": "plain"}))
    with pytest.raises(ValidationError, match="redirectUris"):
        client_representation(client_params(settings={"redirectUris": ["x"]}))


def test_client_settings_pass_through():
    rep = client_representation(client_params(settings={"clientAuthenticatorType": "client-jwt"}))
    assert rep["clientAuthenticatorType"] == "client-jwt"


def test_realm_representation():
    rep = realm_representation({"realm": "platform", "display_name": "P", "access_token_lifespan": 300,
                                "ssl_required": "external", "remember_me": None,
                                "attributes": {"x": False}, "settings": {"supportedLocales": ["en"]}})
    assert rep == {"realm": "platform", "displayName": "P", "accessTokenLifespan": 300, "sslRequired": "external",
                   "attributes": {"x": "false"}, "supportedLocales": ["en"]}
    with pytest.raises(ValidationError, match="displayName"):
        realm_representation({"realm": "p", "settings": {"displayName": "x"}})


def test_mapper_shorthands():
    groups, audience, attribute, hardcoded, roles = mapper_representations([
        {"name": "groups", "type": "groups"},
        {"name": "aud", "type": "audience"},
        {"name": "email", "type": "user_attribute", "user_attribute": "email", "add_to_id_token": False},
        {"name": "team", "type": "hardcoded_claim", "claim_name": "team", "claim_value": "ai"},
        {"name": "roles", "type": "client_roles", "role_client_id": "api"},
    ], "app")
    assert groups == {"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
                      "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                                 "access.token.claim": "true", "userinfo.token.claim": "true",
                                 "introspection.token.claim": "true"}}
    assert audience["config"]["included.client.audience"] == "app"
    assert audience["config"]["id.token.claim"] == "false"
    assert audience["config"]["access.token.claim"] == "true"
    assert attribute["config"]["user.attribute"] == "email"
    assert attribute["config"]["claim.name"] == "email"
    assert attribute["config"]["id.token.claim"] == "false"
    assert hardcoded["config"]["claim.value"] == "ai"
    assert roles["config"]["usermodel.clientRoleMapping.clientId"] == "api"
    assert roles["config"]["multivalued"] == "true"


def test_raw_mapper_and_config_override():
    raw, overridden = mapper_representations([
        {"name": "note", "protocol_mapper": "oidc-usersessionmodel-note-mapper", "config": {"user.session.note": "x"}},
        {"name": "groups", "type": "groups", "config": {"full.path": True}},
    ], "app")
    assert raw == {"name": "note", "protocol": "openid-connect", "protocolMapper": "oidc-usersessionmodel-note-mapper",
                   "config": {"user.session.note": "x"}}
    assert overridden["config"]["full.path"] == "true"


def test_mapper_errors():
    with pytest.raises(ValidationError, match="exactly one of type or protocol_mapper"):
        mapper_representations([{"name": "x"}], "app")
    with pytest.raises(ValidationError, match="needs claim_value"):
        mapper_representations([{"name": "x", "type": "hardcoded_claim", "claim_name": "c"}], "app")
    with pytest.raises(ValidationError, match="repeated: x"):
        mapper_representations([{"name": "x", "type": "groups"}, {"name": "x", "type": "audience"}], "app")
    with pytest.raises(ValidationError, match="only apply to a type shorthand"):
        mapper_representations([{"name": "x", "protocol_mapper": "p", "claim_name": "c"}], "app")


def test_auth_grant_selection():
    assert TokenAuth(username="admin", password="pw").grant == "password"
    assert TokenAuth(client_id="automation", client_secret="s").grant == "client_credentials"
    with pytest.raises(ValidationError, match="either auth_username"):
        TokenAuth()
    with pytest.raises(ValidationError, match="together"):
        TokenAuth(username="admin")
    assert TokenAuth(username="a", password="p").headers() == {}
