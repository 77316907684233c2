#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_group_members
short_description: Read the members of Keycloak groups
version_added: 0.1.0
description:
  - Reads the direct members of each group of O(groups) from the Keycloak admin API, for example to feed
    M(airgap.dify_platform.litellm_key_sync)'s O(airgap.dify_platform.litellm_key_sync#module:groups) so that
    group membership decides each user's team, models and budget.
  - A group is found by its path (C(/parent/child)); a plain name is a top-level group.
  - Members are read in pages of 100. Members of subgroups are not included; list the subgroup's path too.
  - Read-only; it never changes Keycloak.
author:
  - airgap.dify_platform maintainers (@airgap)
extends_documentation_fragment:
  - airgap.dify_platform.keycloak
  - airgap.dify_platform.keycloak.attributes
attributes:
  check_mode:
    details:
      - Reads only; it sends the same requests and returns the same result in check mode.
  diff_mode:
    support: none
    details:
      - Nothing changes, so there is no diff.
options:
  realm:
    description: The realm that holds the groups.
    type: str
    required: true
  groups:
    description: Names or paths of the groups to read.
    type: list
    elements: str
    required: true
  identity:
    description:
      - Which attribute of each member to return. Use the one the consumer knows the person by, for example the
        C(email) claim that OAuth2-Proxy and Open WebUI forward, or the C(username).
      - V(username) and V(email) are returned lower-cased, as Keycloak stores them.
    type: str
    choices: [username, email, id]
    default: username
  enabled_only:
    description: Leave out disabled users (they are listed in RV(groups[].skipped)).
    type: bool
    default: true
  missing:
    description:
      - What to do about a group that does not exist. V(fail) fails the task before returning anything;
        V(empty) returns it with no members and C(exists=false).
    type: str
    choices: [fail, empty]
    default: fail
notes:
  - The admin user or service account needs the C(view-users) role of the C(realm-management) client (C(query-groups)
    alone does not list members).
seealso:
  - module: airgap.dify_platform.litellm_key_sync
"""

EXAMPLES = r"""
- name: Read who is in the budget groups
  airgap.dify_platform.keycloak_group_members:
    auth_keycloak_url: https://keycloak.apps.example.com
    auth_client_id: platform-automation
    auth_client_secret: "{{ keycloak_automation_secret }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    realm: dify-platform
    groups: [ai-power-users, ai-users]
    identity: email
  register: budget_groups

- name: Give each member of each group a key with the group's budget
  airgap.dify_platform.litellm_key_sync:
    groups:
      - name: ai-users
        members: "{{ budget_groups.members['ai-users'] }}"
        models: [gpt-4o-mini]
        max_budget: 20
        budget_duration: 30d
    scope: keycloak-groups
    prune: true
  no_log: true
"""

RETURN = r"""
groups:
  description: Each group of O(groups), in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name or path as given in O(groups).
      type: str
      returned: always
    path:
      description: The group's path.
      type: str
      returned: always
    id:
      description: Internal id of the group; null when it does not exist.
      type: str
      returned: always
    exists:
      description: Whether the group exists.
      type: bool
      returned: always
    members:
      description: The O(identity) of each direct member, sorted.
      type: list
      elements: str
      returned: always
    skipped:
      description: Usernames of members left out (disabled, or without the O(identity) attribute, such as an e-mail).
      type: list
      elements: str
      returned: always
  sample: [{"name": "ai-users", "path": "/ai-users", "id": "5f0c8a4e-7c1a-4a57-b0e1-6f0a3d1e2b77", "exists": true,
            "members": ["alice", "bob"], "skipped": ["carol"]}]
members:
  description: The members of each group, by the name given in O(groups).
  returned: always
  type: dict
  sample: {"ai-users": ["alice", "bob"], "ai-power-users": ["dave"]}
api_requests:
  description: HTTP requests sent to Keycloak, the token request and retries included.
  returned: always
  type: int
  sample: 5
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.args import (
    CONNECTION_REQUIRED_ONE_OF,
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import KeycloakAdmin
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.groups import IDENTITIES, GroupMembers


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        realm=dict(type="str", required=True),
        groups=dict(type="list", elements="str", required=True),
        identity=dict(type="str", choices=list(IDENTITIES), default="username"),
        enabled_only=dict(type="bool", default=True),
        missing=dict(type="str", choices=["fail", "empty"], default="fail"),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_one_of=CONNECTION_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    params = module.params
    api = None
    try:
        api = KeycloakAdmin.from_params(params)
        groups = GroupMembers(api, params["realm"]).read(
            params["groups"], identity=params["identity"], enabled_only=params["enabled_only"],
            missing=params["missing"])
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__, api_requests=api.request_count if api else 0)
    module.exit_json(changed=False, groups=groups, members=dict((g["name"], g["members"]) for g in groups),
                     api_requests=api.request_count)


if __name__ == "__main__":
    main()
