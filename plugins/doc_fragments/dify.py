# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options shared by every Dify module (module_utils/dify/args.py).
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Dify console, for example C(https://dify.example.com).
      - A trailing C(/console/api) is accepted and ignored.
      - If not set, the value of the E(DIFY_URL) environment variable is used.
    type: str
    required: true
  email:
    description:
      - Email of the Dify account to log in with. Dify sets the session in cookies and every
        request then carries the C(X-CSRF-Token) header; the modules handle both.
      - Give O(email) and O(password), or O(admin_api_key) and O(workspace_id).
      - If not set, the value of the E(DIFY_EMAIL) environment variable is used.
    type: str
  password:
    description:
      - Password of O(email). Sent base64-encoded, as the Dify console does.
      - If not set, the value of the E(DIFY_PASSWORD) environment variable is used.
    type: str
  admin_api_key:
    description:
      - The C(ADMIN_API_KEY) configured on the Dify API server (with C(ADMIN_API_KEY_ENABLE=true)).
        Requests then act as the owner of O(workspace_id).
      - Mutually exclusive with O(email).
      - If not set, the value of the E(DIFY_ADMIN_API_KEY) environment variable is used.
    type: str
  workspace_id:
    description:
      - ID of the workspace (tenant) that O(admin_api_key) acts on, sent as C(X-WORKSPACE-ID).
      - If not set, the value of the E(DIFY_WORKSPACE_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of O(url). Leave it on; use O(ca_path) for an internal CA.
      - If not set, the value of the E(DIFY_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the certificate of O(url).
      - If not set, the value of the E(DIFY_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
      - If not set, the value of the E(DIFY_TIMEOUT) environment variable is used.
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a request after a connection error or an HTTP 500, 502, 503 or
        504 answer, with exponential backoff (0.5 s doubling, at most 8 s, with jitter). Other
        answers are never retried.
    type: int
    default: 3
"""

    # Membership of the action group declared in meta/runtime.yml.
    ACTION_GROUP = r"""
attributes:
  action_group:
    description: Use C(group/airgap.dify_platform.dify) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - airgap.dify_platform.dify
"""
