#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_client
short_description: Ensure a Keycloak OIDC client, and return its id and secret
version_added: 0.1.0
description:
  - Creates, updates or deletes an OpenID Connect client in a realm through the Keycloak admin REST API.
  - Only the options you set are compared and sent. An option left unset keeps whatever the client has,
    and never shows up as a change.
  - Values are compared in Keycloak's canonical form, so a second run reports no change. URI and scope lists
    compare as sets, attribute and mapper config values as strings, protocol mappers by name.
  - A changed secret is a change. The current secret is read and compared with O(secret);
    the diff shows it only as C(******** (changed)).
  - A no-op run costs one request after the admin token (two when Keycloak leaves the secret out of the
    client representation, in which case it is read from the client-secret endpoint).
  - After a write the client is read back; if Keycloak did not take a declared value the task fails.
author:
  - airgap.dify_platform maintainers (@airgap)
extends_documentation_fragment:
  - airgap.dify_platform.keycloak
  - airgap.dify_platform.keycloak.attributes
options:
  realm:
    description: Realm of the client.
    type: str
    required: true
  client_id:
    description: The client's C(clientId), which applications send.
    type: str
    required: true
    aliases: [clientId]
  state:
    description: Whether the client should exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Display name of the client.
    type: str
  description:
    description: Description of the client.
    type: str
  enabled:
    description: Whether the client can be used.
    type: bool
  public_client:
    description:
      - V(true) for a public client (a browser or native app, no secret), V(false) for a confidential one.
      - A new client is created confidential unless this is V(true) (Keycloak itself would make it public).
    type: bool
  secret:
    description:
      - The client secret of a confidential client. When given it is enforced; a different current secret
        is a change. When not given, Keycloak generates one on creation and it is kept.
      - Never shown in diffs or in RV(end_state); returned as RV(secret).
    type: str
  root_url:
    description: Root URL prepended to relative URLs.
    type: str
  base_url:
    description: URL Keycloak links to for the client.
    type: str
  admin_url:
    description: URL of the client's admin interface (backchannel logout and other callbacks).
    type: str
  redirect_uris:
    description: Valid redirect URIs (wildcards allowed). Compared as a set; the list replaces the current one.
    type: list
    elements: str
  web_origins:
    description: Allowed CORS origins; V(+) allows the origins of the redirect URIs. Compared as a set.
    type: list
    elements: str
  post_logout_redirect_uris:
    description:
      - Valid redirect URIs after logout; V(+) means the same as the redirect URIs. Compared as a set.
      - Stored in the C(post.logout.redirect.uris) attribute.
    type: list
    elements: str
  standard_flow:
    description: Whether the authorization code flow is enabled.
    type: bool
  implicit_flow:
    description: Whether the implicit flow is enabled.
    type: bool
  direct_access_grants:
    description: Whether the resource owner password grant is enabled.
    type: bool
  service_accounts:
    description:
      - Whether the client has a service account (client credentials grant).
      - Keycloak then attaches the C(service_account) client scope; it is kept even when
        O(default_client_scopes) does not list it.
    type: bool
  pkce:
    description:
      - PKCE code challenge method required from the client; V(none) does not require PKCE.
      - Stored in the C(pkce.code.challenge.method) attribute.
    type: str
    choices: [S256, plain, none]
  frontchannel_logout:
    description: Whether logout is propagated through the browser.
    type: bool
  consent_required:
    description: Whether users must consent to the client.
    type: bool
  full_scope_allowed:
    description: Whether tokens carry all of the user's roles, rather than only the roles in the client's scope.
    type: bool
  default_client_scopes:
    description:
      - Client scopes always applied. The list replaces the current one (compared as a set).
      - Every scope must exist in the realm.
    type: list
    elements: str
  optional_client_scopes:
    description:
      - Client scopes applied when the client asks for them in the C(scope) parameter.
        The list replaces the current one (compared as a set).
      - Every scope must exist in the realm, and may not also be in O(default_client_scopes).
    type: list
    elements: str
  protocol_mappers:
    description:
      - Protocol mappers of the client, matched by name. A declared mapper is created, or updated
        when its declared config differs; only the config keys declared are compared.
      - Mappers not listed are kept unless O(purge_protocol_mappers) is V(true).
      - Give either O(protocol_mappers[].type) (a shorthand) or O(protocol_mappers[].protocol_mapper) with
        O(protocol_mappers[].config).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the mapper, unique in the client.
        type: str
        required: true
      type:
        description:
          - A shorthand that fills in the Keycloak mapper and its config.
          - V(groups) puts the user's groups in a claim (C(oidc-group-membership-mapper)).
          - V(audience) adds a client or a custom audience to the access token (C(oidc-audience-mapper));
            without O(protocol_mappers[].included_client_audience) or O(protocol_mappers[].included_custom_audience)
            the audience is this client.
          - V(user_attribute) and V(user_property) map a user attribute or property
            (O(protocol_mappers[].user_attribute)) to a claim.
          - V(hardcoded_claim) adds a claim with a fixed value.
          - V(realm_roles) and V(client_roles) put role names in a claim.
        type: str
        choices: [groups, audience, user_attribute, user_property, hardcoded_claim, realm_roles, client_roles]
      protocol_mapper:
        description: Keycloak mapper type for a mapper without a shorthand, for example C(oidc-usersessionmodel-note-mapper).
        type: str
      claim_name:
        description:
          - Name of the claim. Defaults to C(groups) for V(groups), to the attribute name for
            V(user_attribute) and V(user_property), to C(realm_access.roles) for V(realm_roles) and to
            C(resource_access.${client_id}.roles) for V(client_roles). Required for V(hardcoded_claim).
        type: str
      claim_value:
        description: Value of a V(hardcoded_claim).
        type: str
      full_path:
        description: For V(groups), whether group names are full paths such as C(/org/team). Defaults to V(false).
        type: bool
      included_client_audience:
        description: For V(audience), the client whose clientId goes in the C(aud) claim.
        type: str
      included_custom_audience:
        description: For V(audience), a free-form audience string.
        type: str
      user_attribute:
        description: For V(user_attribute) and V(user_property), the user attribute or property to map.
        type: str
      json_type:
        description: JSON type of the claim for V(user_attribute), V(user_property), V(hardcoded_claim) and the role mappers.
        type: str
        choices: [String, long, int, boolean, JSON]
      multivalued:
        description: Whether the claim is a list. Defaults to V(false) for V(user_attribute), V(true) for role mappers.
        type: bool
      role_client_id:
        description: For V(client_roles), the clientId whose roles are mapped. Defaults to this client.
        type: str
      add_to_id_token:
        description: Whether the claim goes in the ID token. Shorthands default to V(true), except V(audience).
        type: bool
      add_to_access_token:
        description: Whether the claim goes in the access token. Shorthands default to V(true).
        type: bool
      add_to_userinfo:
        description: Whether the claim is in the userinfo answer. Shorthands default to V(true), except V(audience).
        type: bool
      add_to_introspection:
        description: Whether the claim is in the token introspection answer. Shorthands default to V(true).
        type: bool
      config:
        description:
          - Keycloak config keys of the mapper, added to (or overriding) those a shorthand generates.
          - Values are stored as strings; V(true) is stored as C("true").
        type: dict
  purge_protocol_mappers:
    description: Delete the client's protocol mappers that O(protocol_mappers) does not list.
    type: bool
    default: false
  attributes:
    description:
      - Client attributes. Only the keys given are compared and set; other attributes are kept.
        An empty string removes an attribute.
      - Values are stored as strings; V(true) is stored as C("true").
      - The keys that O(pkce) and O(post_logout_redirect_uris) own are refused here.
    type: dict
  settings:
    description:
      - Other fields of the Keycloak C(ClientRepresentation), with Keycloak's camelCase names,
        for example C(clientAuthenticatorType) or C(authenticationFlowBindingOverrides).
      - Only the keys given are compared. Lists of plain values compare as sets.
      - Fields that have an option of their own (and C(clientId), C(id), C(protocol), C(attributes),
        C(protocolMappers)) are refused here.
    type: dict
notes:
  - The module returns the client secret as RV(secret). Ansible has no way to hide one return value,
    so set C(no_log) on a task that registers it unless O(secret) is given (Ansible then masks the value itself).
"""

EXAMPLES = r"""
- name: Ensure the OAuth2-Proxy client, and keep its secret for the Kubernetes Secret
  airgap.dify_platform.keycloak_client:
    auth_keycloak_url: https://sso.apps.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: platform
    client_id: oauth2-proxy
    name: OAuth2 Proxy
    public_client: false
    standard_flow: true
    direct_access_grants: false
    pkce: S256
    redirect_uris:
      - https://dify.apps.example.com/oauth2/callback
    web_origins:
      - https://dify.apps.example.com
    post_logout_redirect_uris:
      - https://dify.apps.example.com/
    default_client_scopes: [basic, profile, email, roles, web-origins, acr]
    optional_client_scopes: [offline_access]
    protocol_mappers:
      - name: groups
        type: groups
      - name: audience
        type: audience
  register: oauth2_proxy_client
  no_log: true

- name: Set the connection once, and enforce a secret generated elsewhere
  module_defaults:
    group/airgap.dify_platform.keycloak:
      auth_keycloak_url: https://sso.apps.example.com
      auth_username: admin
      auth_password: "{{ keycloak_admin_password }}"
      ca_path: /etc/pki/tls/certs/internal-ca.pem
  block:
    - name: Ensure the LiteLLM client with a given secret
      airgap.dify_platform.keycloak_client:
        realm: platform
        client_id: litellm
        secret: "{{ litellm_client_secret }}"
        redirect_uris: [https://litellm.apps.example.com/sso/callback]
        protocol_mappers:
          - name: email
            type: user_property
            user_attribute: email
          - name: team
            type: hardcoded_claim
            claim_name: team
            claim_value: platform

    - name: Remove a client
      airgap.dify_platform.keycloak_client:
        realm: platform
        client_id: legacy-app
        state: absent
"""

RETURN = r"""
client_id:
  description: The client's C(clientId).
  returned: always
  type: str
  sample: oauth2-proxy
id:
  description: Internal id of the client; null when it does not exist (or would be created in check mode).
  returned: always
  type: str
  sample: 0d3c6d8a-51a4-4bd8-9a63-2cf2f6f3b1d5
secret:
  description:
    - The client secret of a confidential client; null for a public client, or when the client does not exist.
    - Register it with C(no_log) on the task.
  returned: always
  type: str
  sample: null
changes:
  description:
    - The representation fields that differed from what was declared (and were, or in check mode would be, changed),
      for example C(secret) or C(protocolMappers). V(client) alone when the client is created or deleted.
  returned: always
  type: list
  elements: str
  sample: [protocolMappers, redirectUris]
end_state:
  description:
    - The client representation as Keycloak holds it after the task, with the secret masked.
      Empty when the client does not exist.
    - In check mode nothing is changed, so this is the client as it is now.
  returned: always
  type: dict
  sample: {"clientId": "oauth2-proxy", "id": "0d3c6d8a-51a4-4bd8-9a63-2cf2f6f3b1d5", "secret": "********"}
diff:
  description:
    - The declared fields before and after, in canonical form (lists sorted, protocol mappers keyed by name,
      without ids). A secret shows only as C(********), or C(******** (changed)) when it changes.
    - The whole client as C(before) when it is deleted.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Values the client had.
      type: dict
      returned: when diff mode is on
    after:
      description: Values the client has after the task (or would have, in check mode).
      type: dict
      returned: when diff mode is on
  sample: {"before": {"secret": "********"}, "after": {"secret": "******** (changed)"}}
msg:
  description: What was done.
  returned: always
  type: str
  sample: Client oauth2-proxy updated (redirectUris).
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.args import (
    CONNECTION_REQUIRED_ONE_OF,
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import KeycloakAdmin
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client_service import ClientService
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.options import client_options
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    client_representation,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(client_options())
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_one_of=CONNECTION_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    try:
        desired = client_representation(module.params)
        api = KeycloakAdmin.from_params(module.params)
        service = ClientService(api, module.params["realm"])
        result = service.ensure(desired, state=module.params["state"], check_mode=module.check_mode,
                                purge_protocol_mappers=module.params["purge_protocol_mappers"])
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
