# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""The Keycloak admin REST client: paths under /admin/realms, JSON in and out.

Transport (TLS, timeouts, bounded retries with backoff, the token refresh on
401, URL-encoding) is ``module_utils.http_client.HttpClient``; this class only knows
Keycloak's URL layout and treats 404 on a read as "does not exist".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import (
    client_from_params,
    quote_segment,
    require_http_url,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.auth import TokenAuth

USER_AGENT = "airgap.dify_platform-keycloak"


def admin_path(*segments):
    """``/admin/realms/<seg>/<seg>...`` with every segment encoded."""
    path = "/admin/realms"
    for segment in segments:
        path += "/" + quote_segment(segment)
    return path


class KeycloakAdmin:
    """The admin API of one Keycloak server, logged in."""

    def __init__(self, http, auth):
        self.http = http
        self.auth = auth

    @classmethod
    def from_params(cls, params, sleep=None):
        """Build and log in from the shared connection options (see ``args``)."""
        url = require_http_url(params.get("auth_keycloak_url"), "auth_keycloak_url")
        auth = TokenAuth(
            realm=params.get("auth_realm"),
            client_id=params.get("auth_client_id"),
            client_secret=params.get("auth_client_secret"),
            username=params.get("auth_username"),
            password=params.get("auth_password"),
        )
        http = client_from_params(url, params, auth=auth, user_agent=USER_AGENT, sleep=sleep)
        admin = cls(http, auth)
        auth.login(http)
        return admin

    @property
    def request_count(self):
        """Every HTTP request sent so far, token requests and retries included."""
        return self.http.request_count

    def get(self, path, query=None):
        """GET a JSON document; None when the server answers 404."""
        response = self.http.request("GET", path, query=query, expect=(404,))
        if response.status == 404:
            return None
        return response.json()

    def create(self, path, body):
        """POST a representation; return the id from the Location header, or None.

        409 (it exists already) is an answer, not an error: a POST whose first
        attempt went through but whose answer was lost is retried, and then
        conflicts with itself. Callers look the object up again and verify it.
        """
        response = self.http.request("POST", path, body=body, expect=(409,))
        if response.status == 409:
            return None
        location = _header(response.headers, "Location")
        if location:
            return location.rstrip("/").rsplit("/", 1)[-1]
        return None

    def update(self, path, body):
        self.http.request("PUT", path, body=body)

    def delete(self, path):
        """DELETE; a 404 means someone else deleted it first, which is the goal."""
        response = self.http.request("DELETE", path, expect=(404,))
        return response.status != 404

    def put_empty(self, path):
        self.http.request("PUT", path)


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None
