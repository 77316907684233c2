#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_realm
short_description: Ensure a Keycloak realm exists with the settings the platform needs
version_added: 0.1.0
description:
  - Creates, updates or deletes a realm through the Keycloak admin REST API.
  - Only the options you set are compared and sent. An option left unset keeps whatever the realm has,
    and never shows up as a change.
  - Values are compared in Keycloak's canonical form, so a second run with the same options reports no change.
  - A no-op run costs one request after the admin token.
  - After a write the realm is read back; if Keycloak did not take a declared value the task fails.
author:
  - airgap.dify_platform maintainers (@airgap)
extends_documentation_fragment:
  - airgap.dify_platform.keycloak
  - airgap.dify_platform.keycloak.attributes
options:
  realm:
    description: Name of the realm (its C(realm) field, used in URLs).
    type: str
    required: true
    aliases: [name]
  state:
    description: Whether the realm should exist.
    type: str
    choices: [present, absent]
    default: present
  display_name:
    description: Name shown on the login page.
    type: str
  display_name_html:
    description: HTML version of O(display_name).
    type: str
  enabled:
    description:
      - Whether users can log in to the realm.
      - A new realm is created enabled unless this is V(false).
    type: bool
  ssl_required:
    description:
      - When HTTPS is required. V(external) requires it except for private IP addresses.
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
    description: Seconds a client session may be idle. V(0) uses O(sso_session_idle_timeout).
    type: int
  client_session_max_lifespan:
    description: Seconds after which a client session expires. V(0) uses O(sso_session_max_lifespan).
    type: int
  offline_session_idle_timeout:
    description: Seconds an offline session may be idle.
    type: int
  offline_session_max_lifespan_enabled:
    description: Whether offline sessions have a maximum lifespan.
    type: bool
  offline_session_max_lifespan:
    description: Seconds after which an offline session expires, when O(offline_session_max_lifespan_enabled).
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
      - Other fields of the Keycloak C(RealmRepresentation), with Keycloak's camelCase names,
        for example C(internationalizationEnabled) or C(supportedLocales).
      - Only the keys given are compared. Lists of plain values compare as sets.
      - Fields that have an option of their own (and C(realm), C(id)) are refused here.
    type: dict
"""

EXAMPLES = r"""
- name: Ensure the platform realm
  airgap.dify_platform.keycloak_realm:
    auth_keycloak_url: https://sso.apps.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    realm: platform
    display_name: AI platform
    ssl_required: external
    login_with_email_allowed: true
    reset_password_allowed: true
    brute_force_protected: true
    access_token_lifespan: 300
    sso_session_idle_timeout: 1800
    sso_session_max_lifespan: 36000

- name: Set the connection once for every Keycloak module of the play
  module_defaults:
    group/airgap.dify_platform.keycloak:
      auth_keycloak_url: https://sso.apps.example.com
      auth_client_id: platform-automation
      auth_client_secret: "{{ keycloak_automation_secret }}"
  block:
    - name: Remove the old realm
      airgap.dify_platform.keycloak_realm:
        realm: legacy
        state: absent
"""

RETURN = r"""
realm:
  description: Name of the realm.
  returned: always
  type: str
  sample: platform
id:
  description: Internal id of the realm; null when it does not exist (or would be created in check mode).
  returned: always
  type: str
  sample: 4b3c1e0c-7a53-4bd2-9d67-2f1b6c0f3a11
changes:
  description:
    - The representation fields that differed from what was declared (and were, or in check mode would be, changed).
    - V(realm) alone when the realm is created or deleted.
  returned: always
  type: list
  elements: str
  sample: [accessTokenLifespan, displayName]
end_state:
  description:
    - The realm representation as Keycloak holds it after the task. Empty when the realm does not exist.
    - In check mode nothing is changed, so this is the realm as it is now.
  returned: always
  type: dict
  sample: {"realm": "platform", "enabled": true, "displayName": "AI platform", "sslRequired": "external"}
diff:
  description:
    - The declared fields before and after, in Keycloak's canonical form (lists sorted).
    - The whole realm as C(before) when it is deleted.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Values the realm had.
      type: dict
      returned: when diff mode is on
    after:
      description: Values the realm has after the task (or would have, in check mode).
      type: dict
      returned: when diff mode is on
  sample: {"before": {"displayName": "Old"}, "after": {"displayName": "AI platform"}}
msg:
  description: What was done.
  returned: always
  type: str
  sample: Realm platform updated (displayName).
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.args import (
    CONNECTION_REQUIRED_ONE_OF,
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import KeycloakAdmin
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.options import realm_options
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.realm_service import RealmService
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    realm_representation,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(realm_options())
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_one_of=CONNECTION_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    try:
        desired = realm_representation(module.params)
        service = RealmService(KeycloakAdmin.from_params(module.params))
        result = service.ensure(desired, state=module.params["state"], check_mode=module.check_mode)
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
