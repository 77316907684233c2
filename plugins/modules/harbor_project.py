#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: harbor_project
short_description: Ensure a Harbor project exists with the declared settings
version_added: 0.1.0
description:
  - Creates, updates or deletes a project through Harbor's v2.0 API (C(/api/v2.0/projects)).
  - Harbor refuses pushes into a project that does not exist, so the mirror creates its projects with this module first.
  - Only the options you set are compared and sent. An option left unset keeps whatever the project has,
    and never shows up as a change.
  - Values are compared in Harbor's canonical form (metadata values are the strings C(true)/C(false)),
    so a second run with the same options reports no change. A no-op run costs one request.
  - After a write the project is read back; if Harbor did not take a declared value the task fails.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.harbor
  - airgap.dify_platform.harbor.attributes
options:
  name:
    description:
      - Name of the project. Lowercase letters, digits, and C(.), C(_) or C(-) between them (Harbor's rule).
    type: str
    required: true
    aliases: [project]
  state:
    description:
      - Whether the project should exist. Harbor deletes only empty projects; deleting one that still holds
        repositories fails with Harbor's answer.
    type: str
    choices: [present, absent]
    default: present
  public:
    description:
      - Whether anyone, logged in or not, can pull from the project. A new project is private unless this is V(true).
    type: bool
  auto_scan:
    description: Whether Harbor scans images for vulnerabilities when they are pushed.
    type: bool
  prevent_vulnerable:
    description: Whether Harbor refuses to serve images with vulnerabilities at or above O(severity).
    type: bool
  severity:
    description: The severity from which O(prevent_vulnerable) blocks pulls.
    type: str
    choices: [none, low, medium, high, critical]
  content_trust:
    description: Whether only signed images can be pulled (Harbor's C(enable_content_trust)).
    type: bool
  reuse_sys_cve_allowlist:
    description: Whether the project uses the system CVE allowlist instead of its own.
    type: bool
"""

EXAMPLES = r"""
- name: Ensure the mirror project, private
  airgap.dify_platform.harbor_project:
    harbor_url: https://harbor.example.com
    harbor_username: admin
    harbor_password: "{{ harbor_admin_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    name: dify-mirror
    public: false

- name: Set the connection once for every Harbor module of the play
  module_defaults:
    group/airgap.dify_platform.harbor:
      harbor_url: https://harbor.example.com
      harbor_password: "{{ harbor_admin_password }}"
  block:
    - name: Remove an old, empty project
      airgap.dify_platform.harbor_project:
        name: old-mirror
        state: absent
"""

RETURN = r"""
name:
  description: Name of the project.
  returned: always
  type: str
  sample: dify-mirror
project_id:
  description: Harbor's id of the project; null when it does not exist (or would be created in check mode).
  returned: always
  type: int
  sample: 3
project:
  description:
    - The project as Harbor holds it after the task, with its metadata in canonical form. Empty when it does not exist.
    - In check mode nothing is changed, so this is the project as it is now.
  returned: always
  type: dict
  sample: {"project_id": 3, "name": "dify-mirror", "owner_name": "admin", "repo_count": 12, "metadata": {"public": "false"}}
changes:
  description: The metadata fields that differed from what was declared; V(project) alone when it is created or deleted.
  returned: always
  type: list
  elements: str
  sample: [auto_scan, public]
diff:
  description: The declared fields before and after, in Harbor's canonical form.
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Values the project had.
      type: dict
      returned: when diff mode is on
    after:
      description: Values the project has after the task (or would have, in check mode).
      type: dict
      returned: when diff mode is on
  sample: {"before": {"metadata": {"public": "true"}}, "after": {"metadata": {"public": "false"}}}
msg:
  description: What was done.
  returned: always
  type: str
  sample: Project dify-mirror created.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.args import connection_argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.client import HarborClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.compare import desired_project_metadata
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.project_service import ProjectService
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import check_project


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True, aliases=["project"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        public=dict(type="bool"),
        auto_scan=dict(type="bool"),
        prevent_vulnerable=dict(type="bool"),
        severity=dict(type="str", choices=["none", "low", "medium", "high", "critical"]),
        content_trust=dict(type="bool"),
        reuse_sys_cve_allowlist=dict(type="bool"),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        name = check_project(module.params["name"])
        metadata = desired_project_metadata(module.params)
        service = ProjectService(HarborClient.from_params(module.params))
        result = service.ensure(name, metadata, state=module.params["state"], check_mode=module.check_mode)
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
