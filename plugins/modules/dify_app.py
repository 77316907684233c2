#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_app
short_description: Ensure a Dify app matches a DSL file
description:
  - Creates, overwrites or deletes a Dify app from its DSL (the YAML that Dify's "Export DSL" writes).
  - The app is matched by O(app_id) when given, else by its exact name (O(name), or C(app.name) of the DSL).
  - An existing app is compared with the DSL by meaning, not by text. The module exports the app and
    normalises both sides first, undoing what Dify adds or rewrites by itself (the C(version), C(dependencies),
    defaults such as C(icon_type), C(rag_pipeline_variables) and the C(model_config) defaults, variable ids,
    credential ids, the indentation of lists). An unchanged app makes no write request and reports C(ok).
  - Dify overwrites only C(workflow) and C(advanced-chat) apps in place (through C(app_id)). A changed
    C(chat), C(agent-chat) or C(completion) app, or an app whose mode changes, fails with a clear message
    unless O(recreate=true).
  - The DSL is parsed and checked before any request. Malformed YAML, a DSL without C(app), an unknown
    mode, a version written as a number or content above 10 MB fail without touching the server.
  - O(src) may be a directory. Every file matching O(patterns) in it is then one app. All files are validated
    first, then every app is compared with the server, and if any file cannot be applied (bad DSL, an app Dify
    cannot overwrite, a pending version, two files for one app) all the problems are reported together and
    nothing is changed. Only then are the apps that differ created or overwritten, in file name order. One
    login and one app list serve the whole directory.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
requirements:
  - PyYAML
options:
  src:
    description:
      - Path of the DSL file on the managed host, or of a directory of DSL files (see O(patterns)).
      - A directory cannot be combined with O(name), O(app_id) or O(state=absent).
      - Mutually exclusive with O(content).
    type: path
  patterns:
    description:
      - When O(src) is a directory, the shell patterns of the file names that are DSL files (not recursive).
    type: list
    elements: str
    default: ["*.yml", "*.yaml"]
  content:
    description:
      - The DSL itself, as YAML text (use the C(to_yaml) filter for data).
      - Not logged, since a DSL exported with secrets carries their values.
      - Mutually exclusive with O(src).
    type: str
  name:
    description:
      - The app name. With O(state=present) it overrides C(app.name) of the DSL and is sent to Dify as the
        name of the imported app.
      - With O(state=absent) it names the app to delete when neither O(app_id) nor a DSL is given.
    type: str
  app_id:
    description:
      - ID of the app to manage, instead of matching by name.
      - With O(state=present) the app must exist.
    type: str
  state:
    description:
      - V(present) creates the app or brings it in line with the DSL.
      - V(absent) deletes it. Deleting also removes its logs, conversations and API keys.
    type: str
    choices: [present, absent]
    default: present
  recreate:
    description:
      - When the app differs and Dify cannot overwrite it in place (a C(chat), C(agent-chat) or C(completion)
        app, or a mode change), back it up into O(backup_dir), import the DSL as a new app, then delete the
        old app.
      - The new app gets a new ID. The old app's API keys, logs, conversations and annotations are deleted
        with it; only its DSL is in the backup.
      - The import comes before the delete, so a DSL that Dify refuses leaves the old app untouched.
    type: bool
    default: false
  allow_version_mismatch:
    description:
      - Dify holds an import as C(pending) when the DSL version is newer than the version the server speaks,
        or has an older major version. With V(true) the module confirms it; with V(false) it fails, naming both
        versions, and nothing is changed.
    type: bool
    default: false
  backup_dir:
    description:
      - Directory on the managed host for the backups written before O(recreate) replaces an app, and before
        O(state=absent) deletes one (with O(state=absent) a backup is written only when this is set).
      - Backups are exported with secrets and written with mode C(0600).
      - Defaults to C(~/.ansible/dify_app_backups) for O(recreate).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Reads the app and its export, and reports what would be done; sends no write request.
  diff_mode:
    support: full
    details: The normalised current and desired DSL, with secret values masked.
  platform:
    platforms: all
notes:
  - Secret environment variables take part in the comparison only when the DSL gives them a value; the
    module then reads the current app with C(include_secret=true). Their values never appear in the diff.
  - A DSL import cannot change C(app.use_icon_as_answer_icon) of an existing app. When that is the only
    difference, the module warns and changes nothing unless O(recreate=true).
seealso:
  - module: airgap.dify_platform.dify_app_export
  - module: airgap.dify_platform.dify_app_info
"""

EXAMPLES = r"""
- name: Ensure the support bot matches the DSL in git
  airgap.dify_platform.dify_app:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    src: apps/support-bot.yml

- name: Apply a directory of DSL files, connection set once for the whole group
  module_defaults:
    group/airgap.dify_platform.dify:
      url: https://dify.example.com
      admin_api_key: "{{ vault_dify_admin_api_key }}"
      workspace_id: 5f0e8c1a-7a4c-4b6e-9a44-0d2f2b1e9c11
      ca_path: /etc/pki/tls/certs/internal-ca.pem
  block:
    - name: Import every app
      airgap.dify_platform.dify_app:
        src: "{{ item }}"
        allow_version_mismatch: true
      loop: "{{ query('ansible.builtin.fileglob', 'apps/*.yml') }}"

- name: Replace a chat app whose prompt changed (Dify cannot overwrite chat apps in place)
  airgap.dify_platform.dify_app:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    src: apps/faq-chat.yml
    recreate: true
    backup_dir: /var/backups/dify
  register: faq

- name: Delete an app by name
  airgap.dify_platform.dify_app:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    name: old-experiment
    state: absent
"""

RETURN = r"""
app_id:
  description: ID of the app (the new one after a create or a recreate).
  returned: when src is not a directory
  type: str
  sample: 0b5e3d4c-1f2a-4c1e-9d8b-3e2f1a0b9c8d
name:
  description: Name of the app.
  returned: when src is not a directory
  type: str
  sample: support-bot
mode:
  description: Mode of the app.
  returned: when src is not a directory
  type: str
  sample: advanced-chat
operation:
  description: What was done, or would be done in check mode.
  returned: when src is not a directory
  type: str
  sample: overwrite
  choices: [none, create, overwrite, recreate, delete]
import_status:
  description:
    - Dify's status of the import, C(completed) or C(completed-with-warnings) (a pending import that was
      confirmed reports the status of the confirmation). In check mode, the status Dify would answer when
      it can be predicted.
  returned: state is present and src is not a directory
  type: str
  sample: completed
import_warnings:
  description: Warnings Dify gave for the import, and a note when an older or a pending DSL version was imported.
  returned: state is present and src is not a directory
  type: list
  elements: dict
  sample:
    - code: older_dsl_version
      path: version
      message: DSL version 0.3.1 is older than the 0.6.0 this Dify speaks; Dify imported it anyway
      details: {}
differences:
  description: Where the normalised DSL differs from the app on the server (at most 50 paths).
  returned: state is present and src is not a directory
  type: list
  elements: str
  sample: ["workflow.graph.nodes[1].data.title"]
dsl_version:
  description: DSL version of the file (C(0.1.0) when it has none, as Dify reads it).
  returned: state is present and src is not a directory
  type: str
  sample: 0.6.0
server_dsl_version:
  description: DSL version the server speaks, when known (from its export or import answer).
  returned: state is present and src is not a directory
  type: str
  sample: 0.6.0
backup_file:
  description: Path of the backup written before the app was replaced or deleted.
  returned: when a backup was written or, in check mode, would be
  type: str
  sample: /var/backups/dify/faq-chat-0b5e3d4c-20250101T120000Z.yml
replaced_app_id:
  description: ID of the app that O(recreate) deleted.
  returned: after a recreate
  type: str
  sample: 7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f
apps:
  description:
    - One result per DSL file when O(src) is a directory, in file name order, with the keys described above
      (O(state=present) ones) plus C(src), the file.
  returned: when src is a directory
  type: list
  elements: dict
  sample:
    - src: /srv/dify-apps/support-bot-0b5e3d4c.yml
      app_id: 0b5e3d4c-1f2a-4c1e-9d8b-3e2f1a0b9c8d
      name: support-bot
      mode: advanced-chat
      operation: none
      import_status: null
      import_warnings: []
      differences: []
      dsl_version: 0.6.0
      server_dsl_version: 0.6.0
      backup_file: null
      replaced_app_id: null
request_count:
  description: HTTP requests sent to Dify, retries and logins included.
  returned: always
  type: int
  sample: 4
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.app_service import AppService
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import LOGIN_CONSTRAINTS, argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.dsl import (
    DEFAULT_PATTERNS,
    HAS_YAML,
    YAML_IMPORT_ERROR,
    load_dsl,
    load_dsl_directory,
    load_dsl_file,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            src=dict(type="path"),
            patterns=dict(type="list", elements="str", default=list(DEFAULT_PATTERNS)),
            content=dict(type="str", no_log=True),
            name=dict(type="str"),
            app_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            recreate=dict(type="bool", default=False),
            allow_version_mismatch=dict(type="bool", default=False),
            backup_dir=dict(type="path"),
        ),
        supports_check_mode=True,
        mutually_exclusive=LOGIN_CONSTRAINTS["mutually_exclusive"] + [("src", "content")],
        required_one_of=LOGIN_CONSTRAINTS["required_one_of"],
        required_together=LOGIN_CONSTRAINTS["required_together"],
        required_if=[
            ("state", "present", ("src", "content"), True),
            ("state", "absent", ("app_id", "name", "src", "content"), True),
        ],
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)
    params = module.params
    if params["src"] and os.path.isdir(params["src"]):
        many(module)
    client = None
    try:
        doc = None
        if params["src"]:
            doc = load_dsl_file(params["src"])
        elif params["content"] is not None:
            doc = load_dsl(params["content"], source="content")
        client = DifyClient.from_params(params)
        service = AppService(client)
        if params["state"] == "present":
            result, diff = service.ensure_present(
                doc, app_id=params["app_id"], name=params["name"], recreate=params["recreate"],
                allow_version_mismatch=params["allow_version_mismatch"], backup_dir=params["backup_dir"],
                check_mode=module.check_mode,
            )
        else:
            result, diff = service.ensure_absent(
                app_id=params["app_id"], name=params["name"] or (doc.name if doc else None),
                backup_dir=params["backup_dir"], check_mode=module.check_mode,
            )
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    for warning in service.warnings:
        module.warn(warning)
    if module._diff and result["changed"]:
        result["diff"] = diff
    result["request_count"] = client.request_count
    module.exit_json(**result)


def many(module):
    """src is a directory: plan every file, then apply."""
    params = module.params
    for option in ("name", "app_id"):
        if params[option]:
            module.fail_json(msg="%s cannot be combined with a directory in src" % option)
    if params["state"] != "present":
        module.fail_json(msg="state=absent takes one app; src is a directory")
    client = None
    try:
        docs = load_dsl_directory(params["src"], params["patterns"])
        client = DifyClient.from_params(params)
        service = AppService(client)
        results, diffs = service.ensure_present_many(
            docs, recreate=params["recreate"], allow_version_mismatch=params["allow_version_mismatch"],
            backup_dir=params["backup_dir"], check_mode=module.check_mode, source=params["src"],
        )
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    for warning in service.warnings:
        module.warn(warning)
    extra = {"diff": diffs} if module._diff and diffs else {}
    module.exit_json(changed=any(r["changed"] for r in results), apps=results,
                     request_count=client.request_count, **extra)


if __name__ == "__main__":
    main()
