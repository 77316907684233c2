# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Admin tokens for the Keycloak admin API.

Two grants: ``password`` (a user such as the bootstrap admin, through a client
such as ``admin-cli``) and ``client_credentials`` (a confidential client with a
service account). :class:`TokenAuth` plugs into ``module_utils.http_client.HttpClient``:
``headers()`` authenticates a request and ``refresh(client)`` obtains a new token
when the server answers 401; the HTTP client resends the request with it.
A refresh runs the grant again rather than using a refresh token: it costs the
same single request and still works when the session behind the old token has
been revoked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiResponseError,
    AuthenticationError,
    ValidationError,
    body_summary,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import quote_segment

PASSWORD = "password"  # noqa: S105  (the OAuth grant type, not a secret)
CLIENT_CREDENTIALS = "client_credentials"


class TokenRequestRefused(AuthenticationError):
    """The token endpoint refused the credentials: says which grant, client and realm."""

    def __init__(self, status, url, body, grant, client_id, realm):
        super(TokenRequestRefused, self).__init__(status, url, body, method="POST")
        self.grant = grant
        reason = _oauth_error(body)
        self.args = (
            "Keycloak refused the admin credentials (%s grant, client %r, realm %r) "
            "at %s: HTTP %s %s" % (grant, client_id, realm, url, status, reason),
        )


def _oauth_error(body):
    """``invalid_grant: Invalid user credentials`` from an OAuth error body."""
    try:
        data = json.loads(body or "")
    except ValueError:
        return body_summary(body)  # an HTML error page of a proxy: a short, tag-free excerpt
    if not isinstance(data, dict):
        return body_summary(body)
    parts = [str(data[key]) for key in ("error", "error_description") if data.get(key)]
    return ": ".join(parts)


class TokenAuth:
    """Obtains and holds an admin access token."""

    def __init__(self, realm="master", client_id="admin-cli", client_secret=None,
                 username=None, password=None):
        if username is not None or password is not None:
            if not username or password is None:
                raise ValidationError("auth_username and auth_password must be given together")
            self.grant = PASSWORD
        elif client_secret:
            self.grant = CLIENT_CREDENTIALS
        else:
            raise ValidationError(
                "give either auth_username and auth_password (password grant) "
                "or auth_client_secret (client credentials grant)")
        if not client_id:
            raise ValidationError("auth_client_id must not be empty")
        self.realm = realm or "master"
        self.client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._password = password
        self._token = None
        self.token_requests = 0

    @property
    def path(self):
        return "/realms/%s/protocol/openid-connect/token" % quote_segment(self.realm)

    def _form(self):
        form = {"grant_type": self.grant, "client_id": self.client_id}
        if self._client_secret:
            form["client_secret"] = self._client_secret
        if self.grant == PASSWORD:
            form["username"] = self._username
            form["password"] = self._password
        return form

    def login(self, client):
        """Run the grant against ``client`` (an HttpClient) and keep the access token."""
        self.token_requests += 1
        try:
            response = client.request("POST", self.path, form=self._form(), authenticated=False)
        except ApiResponseError as exc:
            if 400 <= exc.status < 500:
                raise TokenRequestRefused(exc.status, exc.url, exc.body, self.grant,
                                          self.client_id, self.realm) from None
            raise
        data = response.json()
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise ApiResponseError(response.status, client.url(self.path),
                                   "the token response carries no access_token")
        self._token = token
        return token

    def headers(self):
        if self._token is None:
            return {}
        return {"Authorization": "Bearer %s" % self._token}

    def refresh(self, client):
        """Called by HttpClient on a 401: get a new token so the request can be resent."""
        self.login(client)
        return True
