#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_app_tracing
short_description: Ensure Dify apps send their traces to Langfuse
description:
  - Sets the Langfuse tracing config of Dify apps (the app's C(trace-config)) and switches their tracing on or
    off (the app's C(trace)), through the console API, the way the app's "Tracing" panel does.
  - Every app is read first (one app list, then two reads per app). Only then are the apps that differ written;
    an unchanged app costs no write and reports C(ok). An app that is missing stops the task before any write.
  - Dify checks the keys against Langfuse before it stores them (the Dify API server calls O(langfuse.host)). Keys
    Langfuse refuses make the task fail, with Dify's reason and without the keys.
  - Dify never returns the keys, only an obfuscated form (the first 6 and last 2 characters). A key is the same when
    its obfuscated form is; see O(update_keys) for the case this cannot see.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
options:
  names:
    description:
      - Exact names of the apps. Two apps with one name fail the task; give O(app_ids) for those.
      - Give O(names), O(app_ids), or both.
    type: list
    elements: str
    default: []
  app_ids:
    description:
      - IDs of the apps.
    type: list
    elements: str
    default: []
  langfuse:
    description:
      - The Langfuse project the apps send to. Required with O(state=present).
      - The values of the C(dify-platform-langfuse-api) Secret that the C(langfuse) role writes.
    type: dict
    suboptions:
      public_key:
        description:
          - The project's public key (C(pk-lf-...)). Dify encrypts it like a secret, so it is not logged either.
        type: str
        required: true
      secret_key:
        description:
          - The project's secret key (C(sk-lf-...)). Never logged nor shown in a diff.
        type: str
        required: true
      host:
        description:
          - URL of Langfuse as the Dify API server reaches it (inside the cluster, for example
            C(http://langfuse-web.dify-platform.svc:3000)). A trailing C(/) is removed.
        type: str
        required: true
  enabled:
    description:
      - Whether the apps trace to Langfuse. V(false) keeps the config and switches tracing off.
    type: bool
    default: true
  state:
    description:
      - V(present) sets the config and the switch.
      - V(absent) switches Langfuse tracing off (when it is on) and deletes the Langfuse config of the apps.
    type: str
    choices: [present, absent]
    default: present
  update_keys:
    description:
      - V(on_change) sends the keys only when Dify's obfuscated form of a declared key differs from the one Dify
        holds, or when the host differs. A new key that keeps the first 6 and the last 2 characters of the old one
        goes unnoticed; Langfuse keys share their first 6 characters, so a rotated pair is missed when both keys
        end in the same two characters as before.
      - V(always) sends the keys of every app on every run (the task then always reports C(changed)). Use it once
        after rotating the Langfuse keys.
    type: str
    choices: [on_change, always]
    default: on_change
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Reads every app and reports what would be written; sends no write request.
  diff_mode:
    support: full
    details: The switch and the config of each app that changes, before and after; keys show only as masked.
  platform:
    platforms: all
notes:
  - Dify checks the keys against Langfuse when the config is created or updated, so Langfuse must run and be reachable
    from the Dify API server first.
seealso:
  - module: airgap.dify_platform.dify_app
"""

EXAMPLES = r"""
- name: Trace two apps to the platform's Langfuse
  airgap.dify_platform.dify_app_tracing:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    names: [support-bot, faq-chat]
    langfuse:
      public_key: "{{ langfuse_api.public_key }}"
      secret_key: "{{ langfuse_api.secret_key }}"
      host: http://langfuse-web.dify-platform.svc:3000

- name: Switch tracing off for one app, keeping its config
  airgap.dify_platform.dify_app_tracing:
    url: https://dify.example.com
    admin_api_key: "{{ vault_dify_admin_api_key }}"
    workspace_id: 5f0e8c1a-7a4c-4b6e-9a44-0d2f2b1e9c11
    app_ids: [0b5e3d4c-1f2a-4c1e-9d8b-3e2f1a0b9c8d]
    langfuse: "{{ langfuse_api }}"
    enabled: false

- name: After rotating the Langfuse keys, send them to every app once
  airgap.dify_platform.dify_app_tracing:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    names: [support-bot, faq-chat]
    langfuse: "{{ langfuse_api }}"
    update_keys: always
"""

RETURN = r"""
apps:
  description: One result per app, in the order given (O(app_ids) first, then O(names)).
  returned: always
  type: list
  elements: dict
  contains:
    app_id:
      description: ID of the app.
      type: str
    name:
      description: Name of the app.
      type: str
    changed:
      description: Whether the app was (in check mode, would be) written.
      type: bool
    operations:
      description: The writes, in order. V(create_config), V(update_config) or V(delete_config), then V(enable) or
        V(disable).
      type: list
      elements: str
    differences:
      description: What differed, for example C(langfuse.host), C(langfuse.secret_key), C(enabled); C(langfuse) when
        the app had no Langfuse config (or, with O(state=absent), still has one).
      type: list
      elements: str
    enabled:
      description: Whether the app traces after the task.
      type: bool
    tracing_provider:
      description: The provider the app's tracing switch names after the task.
      type: str
  sample:
    - app_id: 0b5e3d4c-1f2a-4c1e-9d8b-3e2f1a0b9c8d
      name: support-bot
      changed: true
      operations: [create_config, enable]
      differences: [langfuse, enabled, tracing_provider]
      enabled: true
      tracing_provider: langfuse
request_count:
  description: HTTP requests sent to Dify, retries and logins included.
  returned: always
  type: int
  sample: 6
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import LOGIN_CONSTRAINTS, argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.tracing import UPDATE_KEYS, validate_langfuse
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.tracing_service import TracingService
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            names=dict(type="list", elements="str", default=[]),
            app_ids=dict(type="list", elements="str", default=[]),
            langfuse=dict(type="dict", options=dict(
                public_key=dict(type="str", required=True, no_log=True),
                secret_key=dict(type="str", required=True, no_log=True),
                host=dict(type="str", required=True),
            )),
            enabled=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            update_keys=dict(type="str", default="on_change", choices=list(UPDATE_KEYS)),
        ),
        supports_check_mode=True,
        mutually_exclusive=LOGIN_CONSTRAINTS["mutually_exclusive"],
        required_one_of=LOGIN_CONSTRAINTS["required_one_of"],
        required_together=LOGIN_CONSTRAINTS["required_together"],
        required_if=[("state", "present", ("langfuse",))],
    )
    params = module.params
    client = None
    try:
        if not params["names"] and not params["app_ids"]:
            raise ValidationError("give the apps in names or app_ids (both are empty)")
        desired = validate_langfuse(params["langfuse"]) if params["state"] == "present" else None
        client = DifyClient.from_params(params)
        results, diffs = TracingService(client).ensure(
            names=params["names"], app_ids=params["app_ids"], desired=desired, enabled=params["enabled"],
            state=params["state"], update_keys=params["update_keys"], check_mode=module.check_mode,
        )
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    extra = {"diff": diffs} if module._diff and diffs else {}
    module.exit_json(changed=any(r["changed"] for r in results), apps=results,
                     request_count=client.request_count, **extra)


if __name__ == "__main__":
    main()
