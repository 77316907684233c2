#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: validate_roles
short_description: Check every input of several roles of this collection before any of them runs
version_added: 0.1.0
description:
  - Validates the play's variables against the C(main) entry point of the C(meta/argument_specs.yml) of each role
    named, all at once, so that bad input to a later role fails before an earlier one changes anything.
  - Then checks the rules an argument spec cannot express. A role keeps them in its variable
    C(__<role>_input_errors), a list of messages naming the variables, empty when the input is good.
  - The task fails with every message at once. Values of C(no_log) options never appear in it.
  - The roles' options must not overlap; each role of this collection prefixes its options with its name.
  - This is an action plugin. It runs on the controller and contacts nothing.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
attributes:
  check_mode:
    support: full
    description: Checks the same way; it changes nothing in either mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  action:
    support: full
    description: Runs on the controller; the target host is not contacted.
  async:
    support: none
    description: Runs in the controller's process.
  platform:
    support: full
    platforms: all
    description: Any controller.
options:
  roles:
    description: Names of roles of this collection, such as C(foundation) or C(litellm).
    type: list
    elements: str
    required: true
notes:
  - The C(dify_platform) role runs this with itself and every role of C(dify_platform_components), which is why
    C(playbooks/site.yml) imports the wave roles without their own validation.
"""

EXAMPLES = r"""
- name: Check the inputs of the database and cache waves before either runs
  airgap.dify_platform.validate_roles:
    roles: [postgres, redis]
"""

RETURN = r"""
msg:
  description: How many options of how many roles were checked.
  returned: success
  type: str
  sample: 212 options of 10 roles are valid
input_errors:
  description: Every message, when the input is bad.
  returned: failure
  type: list
  elements: str
  sample: ["Every entry of litellm_models needs a model_name (unique) and a model."]
"""
