#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_app_info
short_description: List Dify apps
description:
  - Lists the apps of the workspace, following Dify's pagination, optionally filtered.
  - Every filter given must match.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
options:
  names:
    description:
      - Only the apps with these exact names.
    type: list
    elements: str
  name_contains:
    description:
      - Only the apps whose name contains this text, ignoring case.
    type: str
  modes:
    description:
      - Only the apps of these modes.
    type: list
    elements: str
    choices: [workflow, advanced-chat, chat, agent-chat, completion]
  app_ids:
    description:
      - Only the apps with these IDs.
    type: list
    elements: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Reads only; it runs the same in check mode.
  diff_mode:
    support: N/A
  platform:
    platforms: all
seealso:
  - module: airgap.dify_platform.dify_app
"""

EXAMPLES = r"""
- name: List the workflow apps
  airgap.dify_platform.dify_app_info:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    modes: [workflow, advanced-chat]
  register: workflows

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ workflows.apps | map(attribute='name') | list }}"
"""

RETURN = r"""
apps:
  description: The apps that match, sorted by name and ID.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: ID of the app.
      type: str
      sample: 0b5e3d4c-1f2a-4c1e-9d8b-3e2f1a0b9c8d
    name:
      description: Name of the app.
      type: str
      sample: support-bot
    mode:
      description: Mode of the app.
      type: str
      sample: advanced-chat
    description:
      description: Description of the app.
      type: str
      sample: Answers support questions
    icon_type:
      description: Kind of icon.
      type: str
      sample: emoji
    icon:
      description: The icon.
      type: str
      sample: "🤖"
    icon_background:
      description: Background colour of the icon.
      type: str
      sample: "#FFEAD5"
    use_icon_as_answer_icon:
      description: Whether the web app shows the icon on answers.
      type: bool
      sample: false
    enable_site:
      description: Whether the web app is enabled.
      type: bool
      sample: true
    enable_api:
      description: Whether the service API is enabled.
      type: bool
      sample: true
    created_at:
      description: Creation time, in seconds since the epoch.
      type: int
      sample: 1755189262
    updated_at:
      description: Time of the last update, in seconds since the epoch.
      type: int
      sample: 1755189262
request_count:
  description: HTTP requests sent to Dify, retries and logins included.
  returned: always
  type: int
  sample: 2
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.app_service import AppService, app_summary
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import LOGIN_CONSTRAINTS, argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.dsl import APP_MODES
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            names=dict(type="list", elements="str"),
            name_contains=dict(type="str"),
            modes=dict(type="list", elements="str", choices=list(APP_MODES)),
            app_ids=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
        **LOGIN_CONSTRAINTS
    )
    params = module.params
    client = None
    try:
        client = DifyClient.from_params(params)
        apps = AppService(client).list_apps(
            names=params["names"], name_contains=params["name_contains"], modes=params["modes"],
            app_ids=params["app_ids"],
        )
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    module.exit_json(changed=False, apps=[app_summary(a) for a in apps], request_count=client.request_count)


if __name__ == "__main__":
    main()
