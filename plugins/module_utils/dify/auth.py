# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the console API authenticates a request (Dify 1.15).

Two ways, following controllers/console/auth/login.py, libs/token.py and
libs/login.py:

* email and password: ``POST /console/api/login`` with the password
  base64-encoded. The tokens come back only as cookies (``access_token``,
  ``refresh_token``, ``csrf_token``, named with a ``__Host-`` prefix when
  Dify is served over https). Every later request, GET included, carries the
  cookies and an ``X-CSRF-Token`` header equal to the csrf cookie. An
  expired access token is renewed with ``POST /console/api/refresh-token``.
* the admin API key (``ADMIN_API_KEY``) as a Bearer token plus
  ``X-WORKSPACE-ID``; no cookies, no CSRF.

Both objects follow the protocol of http.HttpClient: ``headers()`` and
``refresh(client)``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import LoginError
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ApiResponseError

API = "/console/api"
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SECURE_PREFIX = "__Host-"


NOT_THE_API = (
    "the answer is not the console API's JSON (HTTP %s%s). Is url the Dify console itself, and not a login "
    "page or a proxy in front of it (such as OAuth2-Proxy)? The modules need /console/api reachable directly."
)


def json_of(response):
    """The JSON body of a console API answer, or an error that says what answered instead."""
    content_type = (response.headers or {}).get("Content-Type") or (response.headers or {}).get("content-type") or ""
    try:
        data = response.json()
    except ApiResponseError:
        raise ApiError(NOT_THE_API % (response.status, ", %s" % content_type if content_type else "")) from None
    if data is not None and not isinstance(data, dict):
        raise ApiError(NOT_THE_API % (response.status, ", a JSON %s" % type(data).__name__))
    return data or {}


def cookie_value(jar, name):
    """The value of cookie ``name`` (or its ``__Host-`` form) in ``jar``, or None."""
    if jar is None:
        return None
    found = None
    for cookie in jar:
        if cookie.name in (name, SECURE_PREFIX + name):
            found = cookie.value
    return found


class PasswordAuth:
    """Console login with email and password; cookies plus the CSRF header."""

    def __init__(self, email, password, cookies):
        self.email = email
        self._password = password
        self.cookies = cookies
        self.logins = 0
        self.refreshes = 0

    def describe(self):
        return self.email

    def login(self, client):
        encoded = base64.b64encode(self._password.encode("utf-8")).decode("ascii")
        path = API + "/login"
        response = client.request(
            "POST", path, body={"email": self.email, "password": encoded, "remember_me": False},
            authenticated=False, expect=(400, 401, 403),
        )
        if response.status >= 300:
            raise LoginError(response.status, client.url(path), response.text(), self.email)
        data = json_of(response)
        if data.get("result") != "success":
            raise LoginError(response.status, client.url(path), response.text(), self.email)
        if not cookie_value(self.cookies, CSRF_COOKIE):
            raise LoginError(
                response.status, client.url(path),
                '{"message": "the login answered success but set no csrf_token cookie; is url the console '
                'API of Dify 1.15 or later, and does the scheme (http/https) match how Dify sets its cookies?"}',
                self.email,
            )
        self.logins += 1

    def headers(self):
        token = cookie_value(self.cookies, CSRF_COOKIE)
        return {CSRF_HEADER: token} if token else {}

    def refresh(self, client):
        """Renew the access token with the refresh cookie; log in again when that fails."""
        self.refreshes += 1
        response = client.request("POST", API + "/refresh-token", authenticated=False, expect=(400, 401, 403))
        if response.status == 200 and json_of(response).get("result") == "success":
            return True
        self.login(client)
        return True


class ApiKeyAuth:
    """Dify's ADMIN_API_KEY as a Bearer token, acting as the owner of one workspace."""

    def __init__(self, api_key, workspace_id):
        self._api_key = api_key
        self.workspace_id = workspace_id

    def describe(self):
        return "the admin API key for workspace %s" % self.workspace_id

    def login(self, client):
        """Nothing to do: the key is sent with every request."""

    def headers(self):
        return {"Authorization": "Bearer %s" % self._api_key, "X-WORKSPACE-ID": self.workspace_id}

    def refresh(self, client):
        return False
