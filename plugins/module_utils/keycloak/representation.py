# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Module parameters to Keycloak representations, holding only what the user declared.

An option left unset (None) is not part of the representation, so it is
neither sent nor compared: Keycloak keeps whatever it has. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.compare import (
    POST_LOGOUT_REDIRECT_URIS,
    URI_SEPARATOR,
    scalar,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.mappers import (
    OIDC,
    mapper_representations,
)

# (module option, RealmRepresentation field)
REALM_FIELDS = (
    ("display_name", "displayName"),
    ("display_name_html", "displayNameHtml"),
    ("enabled", "enabled"),
    ("ssl_required", "sslRequired"),
    ("login_theme", "loginTheme"),
    ("registration_allowed", "registrationAllowed"),
    ("registration_email_as_username", "registrationEmailAsUsername"),
    ("remember_me", "rememberMe"),
    ("verify_email", "verifyEmail"),
    ("login_with_email_allowed", "loginWithEmailAllowed"),
    ("duplicate_emails_allowed", "duplicateEmailsAllowed"),
    ("reset_password_allowed", "resetPasswordAllowed"),
    ("edit_username_allowed", "editUsernameAllowed"),
    ("brute_force_protected", "bruteForceProtected"),
    ("access_token_lifespan", "accessTokenLifespan"),
    ("access_token_lifespan_for_implicit_flow", "accessTokenLifespanForImplicitFlow"),
    ("access_code_lifespan", "accessCodeLifespan"),
    ("access_code_lifespan_login", "accessCodeLifespanLogin"),
    ("access_code_lifespan_user_action", "accessCodeLifespanUserAction"),
    ("sso_session_idle_timeout", "ssoSessionIdleTimeout"),
    ("sso_session_max_lifespan", "ssoSessionMaxLifespan"),
    ("client_session_idle_timeout", "clientSessionIdleTimeout"),
    ("client_session_max_lifespan", "clientSessionMaxLifespan"),
    ("offline_session_idle_timeout", "offlineSessionIdleTimeout"),
    ("offline_session_max_lifespan_enabled", "offlineSessionMaxLifespanEnabled"),
    ("offline_session_max_lifespan", "offlineSessionMaxLifespan"),
    ("revoke_refresh_token", "revokeRefreshToken"),
)

# (module option, ClientRepresentation field)
CLIENT_FIELDS = (
    ("name", "name"),
    ("description", "description"),
    ("enabled", "enabled"),
    ("public_client", "publicClient"),
    ("secret", "secret"),
    ("root_url", "rootUrl"),
    ("base_url", "baseUrl"),
    ("admin_url", "adminUrl"),
    ("redirect_uris", "redirectUris"),
    ("web_origins", "webOrigins"),
    ("standard_flow", "standardFlowEnabled"),
    ("implicit_flow", "implicitFlowEnabled"),
    ("direct_access_grants", "directAccessGrantsEnabled"),
    ("service_accounts", "serviceAccountsEnabled"),
    ("frontchannel_logout", "frontchannelLogout"),
    ("consent_required", "consentRequired"),
    ("full_scope_allowed", "fullScopeAllowed"),
    ("default_client_scopes", "defaultClientScopes"),
    ("optional_client_scopes", "optionalClientScopes"),
)

PKCE_ATTRIBUTE = "pkce.code.challenge.method"
PKCE_VALUES = {"S256": "S256", "plain": "plain", "none": ""}

# Fields the raw ``settings`` option may not set: identity, and what other options own.
_REALM_RESERVED = frozenset(["realm", "id"] + [field for _option, field in REALM_FIELDS])
_CLIENT_RESERVED = frozenset(
    ["clientId", "id", "protocol", "attributes", "protocolMappers"] + [field for _option, field in CLIENT_FIELDS])


def _settings(settings, reserved, what):
    settings = settings or {}
    clash = sorted(key for key in settings if key in reserved)
    if clash:
        raise ValidationError("settings may not set %s for a %s: use the dedicated options"
                              % (", ".join(clash), what))
    return dict(settings)


def realm_representation(params):
    """The declared part of a RealmRepresentation."""
    rep = _settings(params.get("settings"), _REALM_RESERVED, "realm")
    rep["realm"] = params["realm"]
    for option, field in REALM_FIELDS:
        if params.get(option) is not None:
            rep[field] = params[option]
    if params.get("attributes") is not None:
        rep["attributes"] = dict((key, scalar(value)) for key, value in params["attributes"].items())
    return rep


def client_attributes(params):
    """The declared attributes: the free-form ones plus those dedicated options own."""
    if params.get("attributes") is None and params.get("pkce") is None \
            and params.get("post_logout_redirect_uris") is None:
        return None
    attributes = dict((key, scalar(value)) for key, value in (params.get("attributes") or {}).items())
    owned = {}
    if params.get("pkce") is not None:
        owned[PKCE_ATTRIBUTE] = PKCE_VALUES[params["pkce"]]
    if params.get("post_logout_redirect_uris") is not None:
        owned[POST_LOGOUT_REDIRECT_URIS] = URI_SEPARATOR.join(params["post_logout_redirect_uris"])
    clash = sorted(key for key in owned if key in attributes)
    if clash:
        raise ValidationError("attributes may not set %s: use the pkce and post_logout_redirect_uris options"
                              % ", ".join(clash))
    attributes.update(owned)
    return attributes


def client_representation(params):
    """The declared part of a ClientRepresentation (OIDC)."""
    if params.get("public_client") and params.get("secret") is not None:
        raise ValidationError("a public client has no secret: drop secret or set public_client to false")
    rep = _settings(params.get("settings"), _CLIENT_RESERVED, "client")
    rep["clientId"] = params["client_id"]
    rep["protocol"] = OIDC
    for option, field in CLIENT_FIELDS:
        if params.get(option) is not None:
            rep[field] = list(params[option]) if isinstance(params[option], (list, tuple)) else params[option]
    default, optional = params.get("default_client_scopes"), params.get("optional_client_scopes")
    if default is not None and optional is not None:
        both = sorted(set(default) & set(optional))
        if both:
            raise ValidationError("client scopes cannot be both default and optional: %s" % ", ".join(both))
    attributes = client_attributes(params)
    if attributes is not None:
        rep["attributes"] = attributes
    mappers = mapper_representations(params.get("protocol_mappers"), params["client_id"])
    if mappers is not None:
        rep["protocolMappers"] = mappers
    return rep
