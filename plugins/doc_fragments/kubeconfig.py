# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    # How the controller-side plugins reach the cluster: plugins/module_utils/k8s/kubeconfig.py
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path of the kubeconfig. Default is E(K8S_AUTH_KUBECONFIG), then E(KUBECONFIG), then C(~/.kube/config),
        then the pod's service account.
      - Token, token file, client certificate (file or data), basic auth and exec credential plugins are supported.
    type: path
  context:
    description: The kubeconfig context; default is its current context.
    type: str
  validate_certs:
    description: Verify the API server's certificate. The kubeconfig's C(insecure-skip-tls-verify) also turns it off.
    type: bool
    default: true
  ca_path:
    description: PEM file of the CA that signed the API server's certificate, instead of the kubeconfig's.
    type: path
"""
