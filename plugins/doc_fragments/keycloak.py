# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    # The connection options: plugins/module_utils/keycloak/args.py
    DOCUMENTATION = r"""
options:
  auth_keycloak_url:
    description:
      - Base URL of the Keycloak server, without C(/admin), for example V(https://sso.example.com).
      - Include the legacy C(/auth) prefix when the server still uses it.
      - Falls back to the E(KEYCLOAK_URL) environment variable.
    type: str
    required: true
    aliases: [url]
  auth_realm:
    description:
      - Realm the admin credentials belong to.
      - Falls back to E(KEYCLOAK_AUTH_REALM).
    type: str
    default: master
  auth_client_id:
    description:
      - Client used to obtain the admin token.
      - With O(auth_username), the token comes from the password grant through this client.
      - With O(auth_client_secret) and no O(auth_username), from the client credentials grant of this client,
        whose service account needs the realm management roles the task uses.
      - Falls back to E(KEYCLOAK_CLIENT_ID).
    type: str
    default: admin-cli
  auth_client_secret:
    description:
      - Secret of O(auth_client_id) for a confidential client.
      - Falls back to E(KEYCLOAK_CLIENT_SECRET).
    type: str
  auth_username:
    description:
      - Admin user for the password grant. Requires O(auth_password).
      - One of O(auth_username) or O(auth_client_secret) is required.
      - Falls back to E(KEYCLOAK_USERNAME).
    type: str
    aliases: [username]
  auth_password:
    description:
      - Password of O(auth_username).
      - Falls back to E(KEYCLOAK_PASSWORD).
    type: str
    aliases: [password]
  validate_certs:
    description:
      - Verify the server's TLS certificate. Leave it on; use O(ca_path) for an internal CA.
      - Falls back to E(KEYCLOAK_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) to trust for the server, for example the internal CA bundle.
      - Falls back to E(KEYCLOAK_CA_PATH).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request, connection and answer.
      - With the defaults (O(timeout=30), O(retries=3), O(retry_backoff=0.5)) a server that accepts
        connections but never answers holds a request for at most about 124 seconds (4 attempts of 30 s
        plus 3.5 s of backoff); the error then names the attempts and the time spent.
      - Falls back to E(KEYCLOAK_TIMEOUT).
    type: int
    default: 30
    aliases: [connection_timeout]
  retries:
    description:
      - How many times to retry a request after a connection error or an HTTP 500, 502, 503 or 504,
        with exponential backoff. V(0) sends each request once.
      - A TLS certificate that fails verification is never retried.
      - A 401 is not counted here; it gets one new token and one resend.
      - Falls back to E(KEYCLOAK_RETRIES).
    type: int
    default: 3
  retry_backoff:
    description:
      - Seconds to wait before the first retry; each further retry waits up to twice as long, at most 8 seconds.
      - Falls back to E(KEYCLOAK_RETRY_BACKOFF).
    type: float
    default: 0.5
notes:
  - Admin tokens are obtained at the start of each task. When the server answers 401 during the task
    (for example because the token expired), a new token is obtained once and the request is sent again with it.
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
    description: Use C(group/airgap.dify_platform.keycloak) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - airgap.dify_platform.keycloak
"""
