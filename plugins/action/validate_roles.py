# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of airgap.dify_platform.validate_roles: it runs on the controller.

Every input of several roles of this collection checked in one task, before
any of them runs: each role's ``meta/argument_specs.yml`` (entry point
``main``), then the rules a spec cannot express, which a role keeps as a list
of messages in its variable ``__<role>_input_errors``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")


def role_options(role, roles_dir=ROLES_DIR):
    """The options of the ``main`` entry point of one role of this collection."""
    path = os.path.join(roles_dir, role, "meta", "argument_specs.yml")
    try:
        with open(path) as spec_file:
            spec = yaml.load(spec_file, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleActionFail("role %s: cannot read its argument spec %s: %s" % (role, path, exc)) from None
    try:
        return dict(spec["argument_specs"]["main"]["options"])
    except (KeyError, TypeError):
        raise AnsibleActionFail("role %s: %s has no options for the entry point main" % (role, path)) from None


def merged_options(roles, roles_dir=ROLES_DIR):
    """The options of every role in ``roles``; a name declared by two roles is refused."""
    merged, owner = {}, {}
    for role in roles:
        for name, option in role_options(role, roles_dir).items():
            if name in owner:
                raise AnsibleActionFail("option %s is declared by both %s and %s" % (name, owner[name], role))
            merged[name], owner[name] = option, role
    return merged


def rule_variable(role):
    return "__%s_input_errors" % role


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        roles = self.validate_argument_spec(argument_spec={
            "roles": {"type": "list", "elements": "str", "required": True}})[1]["roles"]
        spec = merged_options(roles)
        values = self._templar.template(dict((name, task_vars[name]) for name in spec if name in task_vars))
        validation = ArgumentSpecValidator(spec).validate(values)
        errors = list(validation.error_messages)
        if not errors:
            for role in roles:
                if rule_variable(role) in task_vars:
                    errors.extend(self._templar.template(task_vars[rule_variable(role)]) or [])
        secrets = validation._no_log_values  # pylint: disable=protected-access
        if errors:
            raise AnsibleActionFail("Invalid input: " + remove_values(" ".join(errors), secrets),
                                    result={"input_errors": remove_values(errors, secrets)})
        result.update(changed=False, msg="%d options of %d roles are valid" % (len(values), len(roles)))
        return result
