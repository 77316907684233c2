#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_setup
short_description: Create the first admin account of a new Dify
description:
  - Runs Dify's first-run setup (C(POST /console/api/setup)), which creates the admin account and its workspace.
  - When the server sets C(INIT_PASSWORD), gives it first (C(POST /console/api/init)) from O(init_password).
  - Idempotent. When the setup is already finished the module reports C(ok) and sends nothing else; it does
    not check or change the password of an existing account, and never returns it.
  - O(email) and O(password) are required here; they are the admin account to create, and the credentials
    the other Dify modules log in with, so one C(module_defaults) group serves all of them.
  - The email, name and password are checked against Dify's rules (a password has at least 8 characters,
    letters and digits) before any request.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
options:
  admin_name:
    description:
      - Display name of the admin account, 1 to 30 characters.
    type: str
    default: Admin
  init_password:
    description:
      - The C(INIT_PASSWORD) of the Dify API server, when it sets one. Used only while the setup is not finished.
      - If not set, the value of the E(DIFY_INIT_PASSWORD) environment variable is used.
    type: str
  language:
    description:
      - Interface language of the admin account, for example V(en-US). Dify's default when not set.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Reads the setup status only.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - The setup endpoints need no login; O(admin_api_key) and O(workspace_id) are accepted, so that the module can
    share C(module_defaults) with the other Dify modules, and are not used.
seealso:
  - module: airgap.dify_platform.dify_app
"""

EXAMPLES = r"""
- name: Create the Dify admin account on a fresh install
  airgap.dify_platform.dify_setup:
    url: https://dify.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    admin_name: Platform admin
    init_password: "{{ vault_dify_init_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
"""

RETURN = r"""
step:
  description: Dify's setup step after the task, C(finished) (or C(not_started) in check mode).
  returned: success
  type: str
  sample: finished
setup_at:
  description: When the setup was finished, as Dify reports it (ISO 8601).
  returned: when the setup is finished
  type: str
  sample: "2025-01-01T12:00:00"
email:
  description: The admin email the task asked for (the existing account is not read back).
  returned: success
  type: str
  sample: admin@example.com
request_count:
  description: HTTP requests sent to Dify.
  returned: always
  type: int
  sample: 3
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.setup_service import SetupService
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            admin_name=dict(type="str", default="Admin"),
            init_password=dict(type="str", no_log=True, fallback=(env_fallback, ["DIFY_INIT_PASSWORD"])),
            language=dict(type="str"),
        ),
        supports_check_mode=True,
        required_together=[("email", "password"), ("admin_api_key", "workspace_id")],
    )
    params = module.params
    client = None
    service = None
    try:
        client = DifyClient.from_params(params, login=False)
        service = SetupService(client)
        result = service.ensure(
            params["email"], params["admin_name"], params["password"], init_password=params["init_password"],
            language=params["language"], check_mode=module.check_mode,
        )
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    for warning in service.warnings:
        module.warn(warning)
    result["request_count"] = client.request_count
    module.exit_json(**result)


if __name__ == "__main__":
    main()
