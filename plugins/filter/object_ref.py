# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: object_ref
short_description: Name a Kubernetes object as C(Kind namespace/name)
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Returns C(Kind namespace/name) (C(Kind /name) for a cluster-scoped object), for messages and reports.
options:
  _input:
    description: A Kubernetes object.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Name the objects
  ansible.builtin.debug:
    msg: "{{ objects | map('airgap.dify_platform.object_ref') | list }}"
"""

RETURN = r"""
_value:
  description: C(Kind namespace/name).
  type: str
"""


def object_ref(obj):
    meta = obj.get("metadata", {})
    return "%s %s/%s" % (obj.get("kind"), meta.get("namespace", ""), meta.get("name"))


class FilterModule:
    def filters(self):
        return {"object_ref": object_ref}
