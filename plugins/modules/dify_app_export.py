#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_app_export
short_description: Export Dify apps as DSL files into a directory
description:
  - Exports every app of the workspace, or those selected by name, mode or ID, into O(dest), one file per app.
  - Files are named C(<slug of the app name>-<first 8 hex digits of the app id>.yml), so a name stays with
    its app across runs and two apps with one name do not overwrite each other.
  - The YAML is written in one stable form (sorted keys, indented lists, multi-line strings as literal blocks,
    no line folding). An app that did not change gives a byte-identical file, the file is not rewritten and
    the task reports C(ok).
  - Every export is fetched before any file is written, so a failure half-way (for example the plugin
    daemon being down) leaves the directory as it was.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
requirements:
  - PyYAML
options:
  dest:
    description:
      - Directory on the managed host to write the files into. Created (mode C(0755)) when missing.
    type: path
    required: true
  names:
    description:
      - Export only the apps with these exact names. A name that matches no app is an error.
    type: list
    elements: str
  modes:
    description:
      - Export only the apps of these modes.
    type: list
    elements: str
    choices: [workflow, advanced-chat, chat, agent-chat, completion]
  app_ids:
    description:
      - Export only the apps with these IDs. An ID that matches no app is an error.
    type: list
    elements: str
  include_secret:
    description:
      - Include the values of secret environment variables and credential ids. The files are then
        written with mode C(0600); keep them out of git or encrypt them.
      - Without it, secret values are exported empty.
    type: bool
    default: false
  prune:
    description:
      - Remove files in O(dest) that are named like an export of this module but whose app was not exported
        in this run (deleted or renamed apps). Cannot be combined with O(names), O(modes) or O(app_ids).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Exports the apps and compares them with the files; writes and removes nothing.
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: airgap.dify_platform.dify_app
"""

EXAMPLES = r"""
- name: Back up every app into the git checkout
  airgap.dify_platform.dify_app_export:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    dest: "{{ playbook_dir }}/../dify-apps"
    prune: true
  register: backup

- name: Export the workflow apps only
  airgap.dify_platform.dify_app_export:
    url: https://dify.example.com
    admin_api_key: "{{ vault_dify_admin_api_key }}"
    workspace_id: 5f0e8c1a-7a4c-4b6e-9a44-0d2f2b1e9c11
    dest: /srv/dify-export/workflows
    modes: [workflow, advanced-chat]
"""

RETURN = r"""
dest:
  description: The directory written to.
  returned: success
  type: str
  sample: /srv/dify-apps
files:
  description: One entry per exported app, sorted by app name.
  returned: success
  type: list
  elements: dict
  contains:
    path:
      description: Path of the file.
      type: str
      sample: /srv/dify-apps/support-bot-0b5e3d4c.yml
    app_id:
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
      sample: workflow
    changed:
      description: Whether the file was written (or would be, in check mode).
      type: bool
      sample: false
changed_files:
  description: Paths of the files that were written (or would be).
  returned: success
  type: list
  elements: str
  sample: [/srv/dify-apps/support-bot-0b5e3d4c.yml]
removed_files:
  description: Paths of the files that O(prune) removed (or would remove).
  returned: success
  type: list
  elements: str
  sample: []
request_count:
  description: HTTP requests sent to Dify, retries and logins included.
  returned: always
  type: int
  sample: 203
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.app_service import AppService
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import LOGIN_CONSTRAINTS, argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.dsl import APP_MODES, HAS_YAML, YAML_IMPORT_ERROR
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            dest=dict(type="path", required=True),
            names=dict(type="list", elements="str"),
            modes=dict(type="list", elements="str", choices=list(APP_MODES)),
            app_ids=dict(type="list", elements="str"),
            include_secret=dict(type="bool", default=False),
            prune=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        **LOGIN_CONSTRAINTS
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    params = module.params
    client = None
    try:
        client = DifyClient.from_params(params)
        result = AppService(client).export_apps(
            params["dest"], names=params["names"], modes=params["modes"], app_ids=params["app_ids"],
            include_secret=params["include_secret"], prune=params["prune"], check_mode=module.check_mode,
        )
    except (PlatformError, OSError) as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    result["request_count"] = client.request_count
    module.exit_json(**result)


if __name__ == "__main__":
    main()
