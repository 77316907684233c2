# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    # The connection options: plugins/module_utils/harbor/args.py
    DOCUMENTATION = r"""
options:
  harbor_url:
    description:
      - Base URL of Harbor, for example V(https://harbor.example.com). A trailing C(/api/v2.0) is accepted.
      - Falls back to the E(HARBOR_URL) environment variable.
    type: str
    required: true
    aliases: [url]
  harbor_username:
    description:
      - Harbor user the API calls run as. Managing projects and robot accounts needs a Harbor system administrator.
      - Falls back to E(HARBOR_USERNAME).
    type: str
    default: admin
    aliases: [username]
  harbor_password:
    description:
      - Password of O(harbor_username).
      - Falls back to E(HARBOR_PASSWORD).
    type: str
    required: true
    aliases: [password]
  validate_certs:
    description:
      - Verify Harbor's TLS certificate. Leave it on; use O(ca_path) for an internal CA.
      - Falls back to E(HARBOR_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) to trust for Harbor, for example the internal CA bundle.
      - Falls back to E(HARBOR_CA_PATH).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request, connection and answer.
      - Falls back to E(HARBOR_TIMEOUT).
    type: int
    default: 30
  retries:
    description:
      - How many times to retry a request after a connection error or an HTTP 500, 502, 503 or 504,
        with exponential backoff. V(0) sends each request once. A 401 or 403 is never retried.
      - Falls back to E(HARBOR_RETRIES).
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry; each further retry waits up to twice as long, at most 8 seconds.
      - Falls back to E(HARBOR_RETRY_BACKOFF).
    type: float
    default: 0.5
notes:
  - Written against Harbor's v2.0 REST API (C(api/v2.0/swagger.yaml) of goharbor/harbor), Harbor 2.2 or later.
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status that a real run would have, changing nothing.
    support: full
  diff_mode:
    description: Returns what changed, or would change in check mode, as before and after objects; secrets are masked.
    support: full
  action_group:
    description: Use C(group/airgap.dify_platform.harbor) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - airgap.dify_platform.harbor
"""
