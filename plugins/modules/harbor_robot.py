#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: harbor_robot
short_description: Ensure a Harbor robot account exists with the declared access and secret
version_added: 0.1.0
description:
  - Creates, updates or deletes a robot account through Harbor's v2.0 API (C(/api/v2.0/robots)).
  - Permissions are compared as a set, whatever their order; description, duration and disable only when set.
  - Harbor never returns a robot's secret after creation. When O(secret) is set, the module checks it the way
    a client would, with one login at Harbor's registry token service, and sets it when Harbor refuses it.
    The change is reported (masked) in the diff and in RV(changes).
  - A disabled or expired robot cannot log in, so its secret cannot be checked; RV(secret_verified) is then false.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.harbor
  - airgap.dify_platform.harbor.attributes
options:
  name:
    description:
      - Name of the robot without Harbor's prefix, for example V(mirror-push) for C(robot$mirror-push).
      - Lowercase letters, digits, and C(.), C(_) or C(-) between them.
    type: str
    required: true
  name_prefix:
    description: Harbor's robot name prefix (its C(robot_name_prefix) setting).
    type: str
    default: robot$
  level:
    description:
      - V(system) robots can hold access to several projects (Harbor 2.2 or later).
      - V(project) robots hold access to exactly one project; Harbor names them C(robot$<project>+<name>).
    type: str
    choices: [system, project]
    default: system
  state:
    description: Whether the robot should exist.
    type: str
    choices: [present, absent]
    default: present
  permissions:
    description:
      - The access of the robot, one entry per project. Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      project:
        description: Project name, or V(*) for every project (system robots only).
        type: str
        required: true
      access:
        description:
          - What the robot may do there, as V(ACTION) (on repositories) or V(RESOURCE:ACTION),
            for example V(pull), V(push) or V(artifact:read).
        type: list
        elements: str
        required: true
  description:
    description: Description of the robot.
    type: str
  duration:
    description: Days the robot is valid after creation or after a change of duration; V(-1) never expires.
    type: int
  disable:
    description: Whether the robot is disabled. A new robot is enabled unless this is V(true).
    type: bool
  secret:
    description:
      - The robot's secret (password). 8 to 128 characters with a lowercase letter, an uppercase letter and a digit.
      - When unset, Harbor generates one at creation and the module returns it once in RV(secret);
        later runs cannot read it back.
    type: str
"""

EXAMPLES = r"""
- name: Robot that pushes the mirror into two projects
  airgap.dify_platform.harbor_robot:
    harbor_url: https://harbor.example.com
    harbor_password: "{{ harbor_admin_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    name: mirror-push
    secret: "{{ mirror_robot_secret }}"
    duration: -1
    permissions:
      - project: dify-mirror
        access: [pull, push]
      - project: dify-mirror-extra
        access: [pull, push]

- name: Pull-only robot for the cluster's pull secret
  airgap.dify_platform.harbor_robot:
    harbor_url: https://harbor.example.com
    harbor_password: "{{ harbor_admin_password }}"
    name: cluster-pull
    secret: "{{ cluster_pull_secret }}"
    permissions:
      - project: dify-mirror
        access: [pull]
"""

RETURN = r"""
name:
  description: Full name of the robot, as clients log in with it.
  returned: always
  type: str
  sample: robot$mirror-push
id:
  description: Harbor's id of the robot; null when it does not exist (or would be created in check mode).
  returned: always
  type: int
  sample: 7
robot:
  description:
    - The robot as Harbor holds it after the task (never its secret), permissions as {project, [resource:action]}.
    - In check mode nothing is changed, so this is the robot as it is now.
  returned: always
  type: dict
  sample: {"id": 7, "name": "robot$mirror-push", "level": "system", "duration": -1, "disable": false,
           "expires_at": -1, "description": "", "permissions": {"dify-mirror": ["repository:pull", "repository:push"]}}
changes:
  description: The fields that differed from what was declared (V(secret) included); V(robot) when created or deleted.
  returned: always
  type: list
  elements: str
  sample: [permissions, secret]
secret:
  description: The secret Harbor generated, only when the robot was created without O(secret). Register it with no_log.
  returned: when the robot was created without O(secret)
  type: str
secret_verified:
  description: Whether the declared O(secret) was checked against Harbor (false for a disabled or expired robot).
  returned: when O(secret) is set and the robot exists
  type: bool
diff:
  description: The declared fields before and after; a changed secret shows as C(******** (changed)).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Values the robot had.
      type: dict
      returned: when diff mode is on
    after:
      description: Values the robot has after the task (or would have, in check mode).
      type: dict
      returned: when diff mode is on
msg:
  description: What was done.
  returned: always
  type: str
  sample: Robot robot$mirror-push created.
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.args import connection_argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.client import HarborClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.compare import desired_permissions
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.robot_service import RobotService
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import PROJECT_RE


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        name_prefix=dict(type="str", default="robot$", no_log=False),
        level=dict(type="str", choices=["system", "project"], default="system"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        permissions=dict(type="list", elements="dict", options=dict(
            project=dict(type="str", required=True),
            access=dict(type="list", elements="str", required=True),
        )),
        description=dict(type="str"),
        duration=dict(type="int"),
        disable=dict(type="bool"),
        secret=dict(type="str", no_log=True),
    )
    return spec


def desired_robot(params):
    if not PROJECT_RE.match(params["name"]):
        raise ValidationError("robot name %r must be lowercase letters, digits, and . _ - between them" % params["name"])
    if params["duration"] is not None and params["duration"] != -1 and params["duration"] <= 0:
        raise ValidationError("duration must be -1 (never expires) or a positive number of days")
    desired = {"name": params["name"], "level": params["level"]}
    if params["state"] == "present" or params["permissions"]:
        desired["permissions"] = desired_permissions(params["permissions"], params["level"])
    for key in ("description", "duration", "disable"):
        if params[key] is not None:
            desired[key] = params[key]
    return desired


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[("state", "present", ["permissions"]), ("level", "project", ["permissions"])],
        supports_check_mode=True,
    )
    try:
        desired = desired_robot(module.params)
        service = RobotService(HarborClient.from_params(module.params), prefix=module.params["name_prefix"])
        result = service.ensure(desired, secret=module.params["secret"], state=module.params["state"],
                                check_mode=module.check_mode)
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
