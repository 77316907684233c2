# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: served_kinds
short_description: The kinds the cluster serves in each of the given API group-versions
version_added: 0.2.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.kubeconfig
description:
  - Reads the discovery document of each group-version with one request each, from the controller, and returns a
    dictionary from each group-version to the sorted list of kinds it serves. A group-version the cluster does not
    serve (its CRDs or operator are not installed) maps to an empty list.
  - For preflight checks that name a missing CRD before anything is applied.
options:
  _terms:
    description: The group-versions, such as C(monitoring.coreos.com/v1), or C(v1) for the core API.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Fail when the Prometheus operator's CRDs are missing
  ansible.builtin.assert:
    that: "'PodMonitor' in served['monitoring.coreos.com/v1']"
    fail_msg: Install the Prometheus operator, or enable user-workload monitoring on OpenShift.
  vars:
    served: "{{ lookup('airgap.dify_platform.served_kinds', 'monitoring.coreos.com/v1') }}"
"""

RETURN = r"""
_value:
  description: One dictionary from group-version to the kinds served there.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.client import client_from_options


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        client = None
        try:
            client = client_from_options(self.get_option)
            return [dict((term, client.served_kinds(term)) for term in terms)]
        except PlatformError as exc:
            raise AnsibleError(str(exc)) from exc
        finally:
            if client is not None:
                client.close()
