# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    # The connection options: plugins/module_utils/litellm/args.py
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the LiteLLM proxy, for example V(https://llm.apps.example.com).
      - Falls back to the E(LITELLM_URL) environment variable, then E(LITELLM_API_BASE).
    type: str
    required: true
    aliases: [url]
  master_key:
    description:
      - The proxy's master key (C(LITELLM_MASTER_KEY) of the proxy), or a key with the C(proxy_admin) role.
      - Falls back to E(LITELLM_MASTER_KEY).
    type: str
    required: true
    aliases: [api_key]
  validate_certs:
    description:
      - Verify the proxy's TLS certificate. Leave it on; use O(ca_path) for an internal CA.
      - Falls back to E(LITELLM_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) to trust for the proxy, for example the internal CA bundle.
      - Falls back to E(LITELLM_CA_PATH).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request, connection and answer.
      - With the defaults (O(timeout=30), O(retries=3), O(retry_backoff=0.5)) a server that accepts
        connections but never answers holds a request for at most about 124 seconds (4 attempts of 30 s
        plus 3.5 s of backoff); the error then names the attempts and the time spent.
      - Falls back to E(LITELLM_TIMEOUT).
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a request after a connection error or an HTTP 500, 502, 503 or 504,
        with exponential backoff. V(0) sends each request once.
      - A TLS certificate that fails verification is never retried, and neither is a create
        (C(/key/generate), C(/team/new), C(/user/new)); after a failed create the item is looked up.
      - Falls back to E(LITELLM_RETRIES).
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry; each further retry waits up to twice as long, at most 8 seconds.
      - Falls back to E(LITELLM_RETRY_BACKOFF).
    type: float
    default: 0.5
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status and the actions that a real run would have, changing nothing.
    support: full
  diff_mode:
    description: Returns what changed, or would change in check mode, as before and after objects; key values are masked.
    support: full
  action_group:
    description: Use C(group/airgap.dify_platform.litellm) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - airgap.dify_platform.litellm
"""
