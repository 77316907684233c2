# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: secret_data
short_description: The data of a Kubernetes Secret, as stored (base64), or an empty dictionary
version_added: 0.2.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.kubeconfig
description:
  - Reads one Secret with a single request from the controller, and returns its C(data) unchanged (values stay
    base64-encoded, ready to be written into another Secret). A Secret that does not exist gives C({}).
  - Use it under C(no_log), as with any secret value.
options:
  _terms:
    description: The name of the Secret.
    type: str
    required: true
  namespace:
    description: Namespace of the Secret.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Copy a key into the sandbox namespace
  airgap.dify_platform.apply_wave:
    wave: 3
    component: dify-sandbox-key
    objects:
      - apiVersion: v1
        kind: Secret
        metadata: {name: dify-sandbox, namespace: dify-sandbox}
        data:
          api-key: "{{ lookup('airgap.dify_platform.secret_data', 'dify-app', namespace='dify-platform')['sandbox-api-key'] }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The Secret's C(data), or C({}) when it does not exist.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import quote_segment
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.client import client_from_options


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleError("secret_data takes exactly one Secret name")
        client = None
        try:
            client = client_from_options(self.get_option)
            path = "/api/v1/namespaces/%s/secrets/%s" % (quote_segment(self.get_option("namespace")), quote_segment(terms[0]))
            response = client.request("GET", path, expect=(404,))
            return [{} if response.status == 404 else (response.json().get("data") or {})]
        except PlatformError as exc:
            raise AnsibleError(str(exc)) from exc
        finally:
            if client is not None:
                client.close()
