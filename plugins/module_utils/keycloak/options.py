# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""The realm and client options (without the connection), in one place.

The ``keycloak_realm`` and ``keycloak_client`` modules add them to the connection
options; the ``keycloak_realm_clients`` action nests them under ``realm_settings``
and ``clients``. One spec, so the three always accept the same values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def realm_options():
    """A fresh copy of the options of one realm, ``realm`` and ``state`` included."""
    return dict(
        realm=dict(type="str", required=True, aliases=["name"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        display_name=dict(type="str"),
        display_name_html=dict(type="str"),
        enabled=dict(type="bool"),
        ssl_required=dict(type="str", choices=["all", "external", "none"]),
        login_theme=dict(type="str"),
        registration_allowed=dict(type="bool"),
        registration_email_as_username=dict(type="bool"),
        remember_me=dict(type="bool"),
        verify_email=dict(type="bool"),
        login_with_email_allowed=dict(type="bool"),
        duplicate_emails_allowed=dict(type="bool"),
        reset_password_allowed=dict(type="bool", no_log=False),  # a boolean, not a password
        edit_username_allowed=dict(type="bool"),
        brute_force_protected=dict(type="bool"),
        access_token_lifespan=dict(type="int", no_log=False),
        access_token_lifespan_for_implicit_flow=dict(type="int", no_log=False),
        access_code_lifespan=dict(type="int"),
        access_code_lifespan_login=dict(type="int"),
        access_code_lifespan_user_action=dict(type="int"),
        sso_session_idle_timeout=dict(type="int"),
        sso_session_max_lifespan=dict(type="int"),
        client_session_idle_timeout=dict(type="int"),
        client_session_max_lifespan=dict(type="int"),
        offline_session_idle_timeout=dict(type="int"),
        offline_session_max_lifespan_enabled=dict(type="bool"),
        offline_session_max_lifespan=dict(type="int"),
        revoke_refresh_token=dict(type="bool", no_log=False),
        attributes=dict(type="dict"),
        settings=dict(type="dict"),
    )


def mapper_options():
    """A fresh copy of the options of one protocol mapper."""
    return dict(
        name=dict(type="str", required=True),
        type=dict(type="str", choices=["groups", "audience", "user_attribute", "user_property",
                                       "hardcoded_claim", "realm_roles", "client_roles"]),
        protocol_mapper=dict(type="str"),
        claim_name=dict(type="str"),
        claim_value=dict(type="str"),
        full_path=dict(type="bool"),
        included_client_audience=dict(type="str"),
        included_custom_audience=dict(type="str"),
        user_attribute=dict(type="str"),
        json_type=dict(type="str", choices=["String", "long", "int", "boolean", "JSON"]),
        multivalued=dict(type="bool"),
        role_client_id=dict(type="str"),
        add_to_id_token=dict(type="bool", no_log=False),
        add_to_access_token=dict(type="bool", no_log=False),
        add_to_userinfo=dict(type="bool"),
        add_to_introspection=dict(type="bool"),
        config=dict(type="dict"),
    )


def client_options():
    """A fresh copy of the options of one OIDC client, ``realm`` and ``state`` included."""
    return dict(
        realm=dict(type="str", required=True),
        client_id=dict(type="str", required=True, aliases=["clientId"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        description=dict(type="str"),
        enabled=dict(type="bool"),
        public_client=dict(type="bool"),
        secret=dict(type="str", no_log=True),
        root_url=dict(type="str"),
        base_url=dict(type="str"),
        admin_url=dict(type="str"),
        redirect_uris=dict(type="list", elements="str"),
        web_origins=dict(type="list", elements="str"),
        post_logout_redirect_uris=dict(type="list", elements="str"),
        standard_flow=dict(type="bool"),
        implicit_flow=dict(type="bool"),
        direct_access_grants=dict(type="bool"),
        service_accounts=dict(type="bool"),
        pkce=dict(type="str", choices=["S256", "plain", "none"]),
        frontchannel_logout=dict(type="bool"),
        consent_required=dict(type="bool"),
        full_scope_allowed=dict(type="bool"),
        default_client_scopes=dict(type="list", elements="str"),
        optional_client_scopes=dict(type="list", elements="str"),
        protocol_mappers=dict(
            type="list", elements="dict", options=mapper_options(),
            mutually_exclusive=[["type", "protocol_mapper"]],
            required_one_of=[["type", "protocol_mapper"]],
        ),
        purge_protocol_mappers=dict(type="bool", default=False),
        attributes=dict(type="dict"),
        settings=dict(type="dict"),
    )


def without(options, *names):
    """``options`` without the given option names."""
    return dict((key, value) for key, value in options.items() if key not in names)
