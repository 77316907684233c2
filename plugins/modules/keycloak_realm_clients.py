#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of the keycloak_realm_clients action plugin (plugins/action/keycloak_realm_clients.py).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_realm_clients
short_description: Ensure a Keycloak realm and a list of its OIDC clients in one task
version_added: 0.1.0
description:
  - Ensures one realm, then each OIDC client of O(clients) in order, over one signed-in admin session.
  - Does what M(airgap.dify_platform.keycloak_realm) and a loop of M(airgap.dify_platform.keycloak_client) do, with
    the same options, the same compare and the same results, but signs in once instead of once per object.
  - A no-op run costs one token request, one read of the realm and one read per client.
  - This is an action plugin. It runs on the controller, in the process of C(ansible-playbook), and talks to
    Keycloak from there; the target host is not contacted.
  - The realm always ends up present. To delete a realm use M(airgap.dify_platform.keycloak_realm) with
    C(state=absent).
  - The task fails at the first client that fails, naming it. The realm and the clients before it stay as they
    were made; the failed result carries them in RV(realm) and RV(clients).
author:
  - airgap.dify_platform maintainers (@airgap)
extends_documentation_fragment:
  - airgap.dify_platform.keycloak
  - airgap.dify_platform.keycloak.attributes
attributes:
  check_mode:
    details:
      - Reads the realm and each client and reports what would change; nothing is written.
      - When the realm would be created, each present client is reported as to be created without a request, and
        the client scope names are not checked (a real run checks them before creating the client).
  diff_mode:
    details:
      - RV(diff) is a list with one before and after per object, the realm first, then each client in order.
  action:
    support: full
    description: Runs on the controller; the target host is not contacted.
  async:
    support: none
    description: The task is short; it does not run asynchronously.
  platform:
    support: full
    platforms: all
    description: Any controller that can reach Keycloak.
options:
  realm:
    description: Name of the realm (its C(realm) field, used in URLs). The realm is created when it does not exist.
    type: str
    required: true
  realm_settings:
    description:
      - Settings of the realm, the options of M(airgap.dify_platform.keycloak_realm) other than C(realm) and C(state).
      - Only the settings given are compared and sent.
    type: dict
    suboptions:
      display_name:
        description: Name shown on the login page.
        type: str
      display_name_html:
        description: HTML version of O(realm_settings.display_name).
        type: str
      enabled:
        description:
          - Whether users can log in to the realm.
          - A new realm is created enabled unless this is V(false).
        type: bool
      ssl_required:
        description: When HTTPS is required. V(external) requires it except for private IP addresses.
        type: str
        choices: [all, external, none]
      login_theme:
        description: Theme of the login pages.
        type: str
      registration_allowed:
        description: Whether users can register themselves.
        type: bool
      registration_email_as_username:
        description: Whether the email address is the username on registration.
        type: bool
      remember_me:
        description: Whether the login page offers "remember me".
        type: bool
      verify_email:
        description: Whether users must verify their email address.
        type: bool
      login_with_email_allowed:
        description: Whether users can log in with their email address.
        type: bool
      duplicate_emails_allowed:
        description: Whether several users may share an email address.
        type: bool
      reset_password_allowed:
        description: Whether the login page offers a password reset.
        type: bool
      edit_username_allowed:
        description: Whether users can change their username.
        type: bool
      brute_force_protected:
        description: Whether brute-force detection locks accounts after failed logins.
        type: bool
      access_token_lifespan:
        description: Seconds an access token is valid.
        type: int
      access_token_lifespan_for_implicit_flow:
        description: Seconds an access token from the implicit flow is valid.
        type: int
      access_code_lifespan:
        description: Seconds an authorization code is valid.
        type: int
      access_code_lifespan_login:
        description: Seconds a user has to complete a login.
        type: int
      access_code_lifespan_user_action:
        description: Seconds a user has to complete a required action, such as updating a password.
        type: int
      sso_session_idle_timeout:
        description: Seconds an SSO session may be idle before it expires.
        type: int
      sso_session_max_lifespan:
        description: Seconds after which an SSO session expires, active or not.
        type: int
      client_session_idle_timeout:
        description: Seconds a client session may be idle. V(0) uses O(realm_settings.sso_session_idle_timeout).
        type: int
      client_session_max_lifespan:
        description: Seconds after which a client session expires. V(0) uses O(realm_settings.sso_session_max_lifespan).
        type: int
      offline_session_idle_timeout:
        description: Seconds an offline session may be idle.
        type: int
      offline_session_max_lifespan_enabled:
        description: Whether offline sessions have a maximum lifespan.
        type: bool
      offline_session_max_lifespan:
        description: Seconds after which an offline session expires, when O(realm_settings.offline_session_max_lifespan_enabled).
        type: int
      revoke_refresh_token:
        description: Whether a refresh token can be used only once.
        type: bool
      attributes:
        description:
          - Realm attributes. Only the keys given are compared and set; other attributes are kept.
          - Values are stored as strings; V(true) is stored as C("true").
        type: dict
      settings:
        description:
          - Other fields of the Keycloak C(RealmRepresentation), with Keycloak's camelCase names.
          - Only the keys given are compared. Lists of plain values compare as sets.
          - Fields that have an option of their own (and C(realm), C(id)) are refused here.
        type: dict
  clients:
    description:
      - The OIDC clients of the realm, ensured in this order. Each takes the options of
        M(airgap.dify_platform.keycloak_client) other than the connection and C(realm).
      - Only the options given are compared and sent. A C(client_id) may appear once.
    type: list
    elements: dict
    default: []
    suboptions:
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
          - V(true) for a public client (no secret), V(false) for a confidential one.
          - A new client is created confidential unless this is V(true).
        type: bool
      secret:
        description:
          - The client secret of a confidential client. When given it is enforced; a different current secret
            is a change. When not given, Keycloak generates one on creation and it is kept.
          - Never shown in diffs or in C(end_state); returned in clear as RV(clients[].secret).
        type: str
      root_url:
        description: Root URL prepended to relative URLs.
        type: str
      base_url:
        description: URL Keycloak links to for the client.
        type: str
      admin_url:
        description: URL of the client's admin interface.
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
        description: Valid redirect URIs after logout; V(+) means the same as the redirect URIs. Compared as a set.
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
        description: Whether the client has a service account (client credentials grant).
        type: bool
      pkce:
        description: PKCE code challenge method required from the client; V(none) does not require PKCE.
        type: str
        choices: [S256, plain, none]
      frontchannel_logout:
        description: Whether logout is propagated through the browser.
        type: bool
      consent_required:
        description: Whether users must consent to the client.
        type: bool
      full_scope_allowed:
        description: Whether tokens carry all of the user's roles.
        type: bool
      default_client_scopes:
        description: Client scopes always applied. The list replaces the current one; every scope must exist.
        type: list
        elements: str
      optional_client_scopes:
        description: Client scopes applied on request. The list replaces the current one; every scope must exist.
        type: list
        elements: str
      protocol_mappers:
        description:
          - Protocol mappers of the client, matched by name, as in M(airgap.dify_platform.keycloak_client).
          - Give either O(clients[].protocol_mappers[].type) or O(clients[].protocol_mappers[].protocol_mapper).
        type: list
        elements: dict
        suboptions:
          name:
            description: Name of the mapper, unique in the client.
            type: str
            required: true
          type:
            description: A shorthand that fills in the Keycloak mapper and its config.
            type: str
            choices: [groups, audience, user_attribute, user_property, hardcoded_claim, realm_roles, client_roles]
          protocol_mapper:
            description: Keycloak mapper type for a mapper without a shorthand.
            type: str
          claim_name:
            description: Name of the claim.
            type: str
          claim_value:
            description: Value of a V(hardcoded_claim).
            type: str
          full_path:
            description: For V(groups), whether group names are full paths.
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
            description: JSON type of the claim.
            type: str
            choices: [String, long, int, boolean, JSON]
          multivalued:
            description: Whether the claim is a list.
            type: bool
          role_client_id:
            description: For V(client_roles), the clientId whose roles are mapped.
            type: str
          add_to_id_token:
            description: Whether the claim goes in the ID token.
            type: bool
          add_to_access_token:
            description: Whether the claim goes in the access token.
            type: bool
          add_to_userinfo:
            description: Whether the claim is in the userinfo answer.
            type: bool
          add_to_introspection:
            description: Whether the claim is in the token introspection answer.
            type: bool
          config:
            description: Keycloak config keys of the mapper, added to (or overriding) those a shorthand generates.
            type: dict
      purge_protocol_mappers:
        description: Delete the client's protocol mappers that O(clients[].protocol_mappers) does not list.
        type: bool
        default: false
      attributes:
        description: Client attributes. Only the keys given are compared and set; other attributes are kept.
        type: dict
      settings:
        description:
          - Other fields of the Keycloak C(ClientRepresentation), with Keycloak's camelCase names.
          - Fields that have an option of their own are refused here.
        type: dict
notes:
  - RV(clients[].secret) is returned in clear, also when it was given in O(clients[].secret). Set C(no_log) on a task
    that registers the result. The connection secrets are masked in every result.
  - Use M(airgap.dify_platform.keycloak_realm) and M(airgap.dify_platform.keycloak_client) to manage one object, to
    delete a realm, or to run against a Keycloak the target host reaches but the controller does not.
seealso:
  - module: airgap.dify_platform.keycloak_realm
  - module: airgap.dify_platform.keycloak_client
"""

EXAMPLES = r"""
- name: Ensure the platform realm and its clients, and keep the secrets
  airgap.dify_platform.keycloak_realm_clients:
    auth_keycloak_url: https://sso.apps.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    realm: platform
    realm_settings:
      display_name: AI platform
      ssl_required: external
      access_token_lifespan: 300
    clients:
      - client_id: oauth2-proxy
        redirect_uris: [https://dify.apps.example.com/oauth2/callback]
        web_origins: [https://dify.apps.example.com]
        pkce: S256
        protocol_mappers:
          - {name: groups, type: groups}
          - {name: audience, type: audience}
      - client_id: legacy-app
        state: absent
  register: platform_sso
  no_log: true

- name: Set the connection once for the Keycloak group
  module_defaults:
    group/airgap.dify_platform.keycloak:
      auth_keycloak_url: https://sso.apps.example.com
      auth_client_id: platform-automation
      auth_client_secret: "{{ keycloak_automation_secret }}"
  block:
    - name: Ensure the realm and the LiteLLM client
      airgap.dify_platform.keycloak_realm_clients:
        realm: platform
        clients:
          - client_id: litellm
            redirect_uris: [https://litellm.apps.example.com/sso/callback]
      register: litellm_sso
      no_log: true
"""

RETURN = r"""
realm:
  description: What was done to the realm, as M(airgap.dify_platform.keycloak_realm) returns it, without C(diff).
  returned: always
  type: dict
  contains:
    realm:
      description: Name of the realm.
      type: str
      returned: always
    id:
      description: Internal id of the realm; null when it would be created in check mode.
      type: str
      returned: always
    changed:
      description: Whether the realm changed (or would, in check mode).
      type: bool
      returned: always
    changes:
      description: The representation fields that differed; V(realm) alone when the realm is created.
      type: list
      elements: str
      returned: always
    end_state:
      description: The realm representation as Keycloak holds it after the task.
      type: dict
      returned: always
    msg:
      description: What was done to the realm.
      type: str
      returned: always
  sample: {"realm": "platform", "id": "4b3c1e0c-7a53-4bd2-9d67-2f1b6c0f3a11", "changed": false, "changes": [],
           "end_state": {"realm": "platform"}, "msg": "Realm platform is up to date."}
clients:
  description: What was done to each client, in the order of O(clients), as M(airgap.dify_platform.keycloak_client)
    returns it, without C(diff).
  returned: always
  type: list
  elements: dict
  contains:
    client_id:
      description: The client's C(clientId).
      type: str
      returned: always
    id:
      description: Internal id of the client; null when it does not exist (or would be created in check mode).
      type: str
      returned: always
    secret:
      description:
        - The client secret of a confidential client, in clear; null for a public client, for a client that does
          not exist, or for one that would be created in check mode without O(clients[].secret).
      type: str
      returned: always
    changed:
      description: Whether the client changed (or would, in check mode).
      type: bool
      returned: always
    changes:
      description: The representation fields that differed; V(client) alone when the client is created or deleted.
      type: list
      elements: str
      returned: always
    end_state:
      description: The client representation as Keycloak holds it after the task, with the secret masked.
      type: dict
      returned: always
    msg:
      description: What was done to the client.
      type: str
      returned: always
  sample: [{"client_id": "oauth2-proxy", "id": "0d3c6d8a-51a4-4bd8-9a63-2cf2f6f3b1d5", "secret": "s3cr3t",
            "changed": true, "changes": ["redirectUris"], "end_state": {"clientId": "oauth2-proxy"},
            "msg": "Client oauth2-proxy updated (redirectUris)."}]
diff:
  description:
    - One before and after per object, the realm first, then each client in order, each headed with
      C(realm <name>) or C(client <client_id>). The declared fields only, in canonical form; secrets masked.
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{"before_header": "realm platform", "after_header": "realm platform",
            "before": {"displayName": "Old"}, "after": {"displayName": "AI platform"}}]
msg:
  description: What was done, in one line.
  returned: always
  type: str
  sample: "Realm platform is up to date. 1 of 2 client(s) changed: oauth2-proxy."
"""
