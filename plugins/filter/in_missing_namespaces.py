# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: in_missing_namespaces
short_description: The objects whose namespace does not exist
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Returns the namespaced objects whose namespace is not in O(existing). A server-side dry run
    cannot place them, so a check-mode run reports them as to be created instead.
  - Cluster-scoped objects and C(Namespace) objects are never returned.
options:
  _input:
    description: The objects of a wave.
    type: list
    elements: dict
    required: true
  existing:
    description: Names of the namespaces that exist.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Objects a check-mode run cannot dry-run
  ansible.builtin.debug:
    msg: "{{ objects | airgap.dify_platform.in_missing_namespaces(['default', 'dify-platform']) }}"
"""

RETURN = r"""
_value:
  description: The objects whose namespace does not exist.
  type: list
  elements: dict
"""


def in_missing_namespaces(objects, existing):
    existing = set(existing)
    return [o for o in objects
            if o.get("kind") != "Namespace" and o.get("metadata", {}).get("namespace")
            and o["metadata"]["namespace"] not in existing]


class FilterModule:
    def filters(self):
        return {"in_missing_namespaces": in_missing_namespaces}
