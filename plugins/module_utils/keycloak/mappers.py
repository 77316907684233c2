# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""OIDC protocol mappers: the shorthands the platform's clients need, as representations.

A mapper is declared either with a ``type`` shorthand (``groups``, ``audience``,
``user_attribute``, ``user_property``, ``hardcoded_claim``, ``realm_roles``,
``client_roles``), which fills in Keycloak's config keys and their usual
defaults, or raw with ``protocol_mapper`` and ``config``. ``config`` given
with a shorthand overrides or extends the generated keys. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.compare import scalar

OIDC = "openid-connect"

MAPPER_TYPES = {
    "groups": "oidc-group-membership-mapper",
    "audience": "oidc-audience-mapper",
    "user_attribute": "oidc-usermodel-attribute-mapper",
    "user_property": "oidc-usermodel-property-mapper",
    "hardcoded_claim": "oidc-hardcoded-claim-mapper",
    "realm_roles": "oidc-usermodel-realm-role-mapper",
    "client_roles": "oidc-usermodel-client-role-mapper",
}

# Where each claim goes, as Keycloak's config keys.
TOKEN_FLAGS = (
    ("add_to_id_token", "id.token.claim"),
    ("add_to_access_token", "access.token.claim"),
    ("add_to_userinfo", "userinfo.token.claim"),
    ("add_to_introspection", "introspection.token.claim"),
)

# Shorthand defaults for the token flags: an audience belongs in the access token only.
_FLAG_DEFAULTS = {
    "audience": {"add_to_id_token": False, "add_to_access_token": True,
                 "add_to_userinfo": False, "add_to_introspection": True},
}
_DEFAULT_FLAGS = {"add_to_id_token": True, "add_to_access_token": True,
                  "add_to_userinfo": True, "add_to_introspection": True}

MAPPER_OPTIONS = (
    "claim_name", "full_path", "included_client_audience", "included_custom_audience",
    "user_attribute", "claim_value", "json_type", "multivalued", "role_client_id",
)


def _require(spec, key, kind):
    value = spec.get(key)
    if value is None or value == "":
        raise ValidationError("protocol mapper %r of type %s needs %s" % (spec.get("name"), kind, key))
    return value


def _shorthand_config(kind, spec, client_id):
    """The config keys a shorthand stands for."""
    config = {}
    if kind == "groups":
        config["claim.name"] = spec.get("claim_name") or "groups"
        config["full.path"] = bool(spec.get("full_path"))
    elif kind == "audience":
        client_aud = spec.get("included_client_audience")
        custom_aud = spec.get("included_custom_audience")
        if client_aud is None and custom_aud is None:
            client_aud = client_id
        if client_aud is not None:
            config["included.client.audience"] = client_aud
        if custom_aud is not None:
            config["included.custom.audience"] = custom_aud
    elif kind in ("user_attribute", "user_property"):
        attribute = _require(spec, "user_attribute", kind)
        config["user.attribute"] = attribute
        config["claim.name"] = spec.get("claim_name") or attribute
        config["jsonType.label"] = spec.get("json_type") or "String"
        if kind == "user_attribute":
            config["multivalued"] = bool(spec.get("multivalued"))
    elif kind == "hardcoded_claim":
        config["claim.name"] = _require(spec, "claim_name", kind)
        config["claim.value"] = _require(spec, "claim_value", kind)
        config["jsonType.label"] = spec.get("json_type") or "String"
    elif kind == "realm_roles":
        config["claim.name"] = spec.get("claim_name") or "realm_access.roles"
        config["jsonType.label"] = spec.get("json_type") or "String"
        config["multivalued"] = spec.get("multivalued") is not False
    elif kind == "client_roles":
        role_client = spec.get("role_client_id") or client_id
        config["usermodel.clientRoleMapping.clientId"] = role_client
        config["claim.name"] = spec.get("claim_name") or "resource_access.${client_id}.roles"
        config["jsonType.label"] = spec.get("json_type") or "String"
        config["multivalued"] = spec.get("multivalued") is not False
    return config


def mapper_representation(spec, client_id):
    """One declared mapper (module suboptions) as a Keycloak ProtocolMapperRepresentation."""
    name = spec.get("name")
    if not name:
        raise ValidationError("every protocol mapper needs a name")
    kind = spec.get("type")
    raw = spec.get("protocol_mapper")
    if bool(kind) == bool(raw):
        raise ValidationError("protocol mapper %r: give exactly one of type or protocol_mapper" % name)
    config = {}
    if kind:
        if kind not in MAPPER_TYPES:
            raise ValidationError("protocol mapper %r: unknown type %r (known: %s)"
                                  % (name, kind, ", ".join(sorted(MAPPER_TYPES))))
        config.update(_shorthand_config(kind, spec, client_id))
        flags = dict(_FLAG_DEFAULTS.get(kind, _DEFAULT_FLAGS))
    else:
        used = [option for option in MAPPER_OPTIONS if spec.get(option) is not None]
        if used:
            raise ValidationError("protocol mapper %r: %s only apply to a type shorthand; "
                                  "with protocol_mapper, put keys in config" % (name, ", ".join(used)))
        flags = {}
    for option, _key in TOKEN_FLAGS:
        if spec.get(option) is not None:
            flags[option] = spec[option]
    for option, key in TOKEN_FLAGS:
        if option in flags:
            config[key] = flags[option]
    for key, value in (spec.get("config") or {}).items():
        config[key] = value
    return {
        "name": name,
        "protocol": OIDC,
        "protocolMapper": MAPPER_TYPES[kind] if kind else raw,
        "config": dict((key, scalar(value)) for key, value in config.items()),
    }


def mapper_representations(specs, client_id):
    """All declared mappers; names must be unique."""
    if specs is None:
        return None
    result = [mapper_representation(spec, client_id) for spec in specs]
    names = [mapper["name"] for mapper in result]
    duplicates = sorted(set(name for name in names if names.count(name) > 1))
    if duplicates:
        raise ValidationError("protocol mapper names must be unique; repeated: %s" % ", ".join(duplicates))
    return result
