# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret_values
short_description: The decoded values of Kubernetes Secrets, by namespace/name/key
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Decodes the C(data) of each Secret and returns C(namespace/name/key) to value, for checks such as
    "no secret appears in this output". Use it only on tasks with C(no_log).
  - Values shorter than O(min_length) (empty values) and keys in O(public_keys) (names, URLs) are left out.
options:
  _input:
    description: Secret objects as returned by C(kubernetes.core.k8s_info).
    type: list
    elements: dict
    required: true
  min_length:
    description: Shortest value to keep.
    type: int
    default: 12
  public_keys:
    description: Keys that hold no secret (user names, client ids, issuer URLs).
    type: list
    elements: str
    default: [username, client-id, issuer-url]
"""

EXAMPLES = r"""
- name: Collect secret values for a leak check
  ansible.builtin.set_fact:
    values: "{{ secrets.resources | airgap.dify_platform.secret_values }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(namespace/name/key) to the decoded value.
  type: dict
"""

import base64


PUBLIC_KEYS = ("username", "client-id", "issuer-url")


def secret_values(secrets, min_length=12, public_keys=PUBLIC_KEYS):
    values = {}
    for secret in secrets:
        meta = secret.get("metadata", {})
        for key, encoded in (secret.get("data") or {}).items():
            if key in public_keys:
                continue
            value = base64.b64decode(encoded).decode("utf-8", errors="replace")
            if len(value) >= min_length:
                values["%s/%s/%s" % (meta.get("namespace"), meta.get("name"), key)] = value
    return values


class FilterModule:
    def filters(self):
        return {"secret_values": secret_values}
