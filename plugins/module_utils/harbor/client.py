# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Harbor v2.0 API client: projects, robot accounts and a registry login check.

Transport (TLS, timeouts, bounded retries with backoff, URL-encoding) is
``module_utils.http_client.HttpClient``. This class knows Harbor's URL layout
(``/api/v2.0``, the ``X-Is-Resource-Name`` header so that a numeric project
name is never taken for an id), its pagination (``page``/``page_size``, at
most 100 per page) and turns a 404 on a read into "does not exist". Refused
credentials raise :class:`CredentialsRefused`, whose message says which user
was refused by which Harbor, and never the password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiResponseError,
    AuthenticationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.auth import BasicAuth, basic_header
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import (
    client_from_params,
    quote_segment,
    require_http_url,
)

API = "/api/v2.0"
USER_AGENT = "airgap.dify_platform-harbor"
PAGE_SIZE = 100
MAX_PAGES = 1000
# The service name Harbor's token service answers for (core's registry token issuer).
REGISTRY_SERVICE = "harbor-registry"


class CredentialsRefused(AuthenticationError):
    """Harbor answered 401/403 to the configured user."""

    def __init__(self, status, url, body, username, method=None):
        super(CredentialsRefused, self).__init__(status, url, body, method=method)
        if status == 401:
            text = ("Harbor at %s refused the credentials of user %r (HTTP 401); check harbor_username and "
                    "harbor_password" % (url.split(API, 1)[0], username))
        else:
            text = ("user %r is not allowed to %s %s on Harbor (HTTP 403); it needs the Harbor system "
                    "administrator role" % (username, method or "call", url))
        self.args = (text,)


class HarborClient:
    """The v2.0 API of one Harbor, as one user."""

    def __init__(self, http, username):
        self.http = http
        self.username = username

    @classmethod
    def from_params(cls, params, sleep=None):
        """Build from the shared connection options (see ``args``); nothing is sent yet."""
        url = require_http_url(params.get("harbor_url"), "harbor_url").rstrip("/")
        if url.endswith(API):
            url = url[: -len(API)]
        username = params.get("harbor_username") or "admin"
        http = client_from_params(url, params, auth=BasicAuth(username, params.get("harbor_password") or ""),
                                  user_agent=USER_AGENT, sleep=sleep)
        return cls(http, username)

    @property
    def request_count(self):
        return self.http.request_count

    def _request(self, method, path, **kwargs):
        try:
            return self.http.request(method, API + path, **kwargs)
        except AuthenticationError as exc:
            raise CredentialsRefused(exc.status, exc.url, exc.body, self.username, method=method) from exc

    def _list(self, path, query=None):
        items = []
        page = 1
        while page <= MAX_PAGES:
            q = dict(query or {})
            q.update(page=page, page_size=PAGE_SIZE)
            chunk = self._request("GET", path, query=q).json() or []
            items.extend(chunk)
            if len(chunk) < PAGE_SIZE:
                return items
            page += 1
        raise ApiResponseError(200, self.http.url(API + path), "more than %d pages" % MAX_PAGES)

    # -- projects ----------------------------------------------------------------------------
    def get_project(self, name):
        """The ``Project`` named ``name``; None when it does not exist."""
        response = self._request("GET", "/projects/" + quote_segment(name),
                                 headers={"X-Is-Resource-Name": "true"}, expect=(404,))
        if response.status == 404:
            return None
        return response.json()

    def create_project(self, body):
        self._request("POST", "/projects", body=body, headers={"X-Resource-Name-In-Location": "true"})

    def update_project(self, name, body):
        self._request("PUT", "/projects/" + quote_segment(name), body=body, headers={"X-Is-Resource-Name": "true"})

    def delete_project(self, name):
        """DELETE; a 404 means it is already gone."""
        response = self._request("DELETE", "/projects/" + quote_segment(name),
                                 headers={"X-Is-Resource-Name": "true"}, expect=(404, 412))
        if response.status == 412:
            raise ApiResponseError(412, self.http.url(API + "/projects/" + quote_segment(name)),
                                   "project %s still holds repositories; Harbor deletes only empty projects: %s"
                                   % (name, response.text()), method="DELETE")
        return response.status != 404

    # -- robot accounts ----------------------------------------------------------------------
    def find_robots(self, stored_name):
        """Robots whose stored name (without the ``robot$`` prefix) is ``stored_name``."""
        return self._list("/robots", query={"q": "name=%s" % stored_name})

    def get_robot(self, robot_id):
        response = self._request("GET", "/robots/%d" % int(robot_id), expect=(404,))
        return None if response.status == 404 else response.json()

    def create_robot(self, body):
        """POST a ``RobotCreate``; returns the ``RobotCreated`` (with the secret)."""
        return self._request("POST", "/robots", body=body).json()

    def update_robot(self, robot_id, body):
        self._request("PUT", "/robots/%d" % int(robot_id), body=body)

    def set_robot_secret(self, robot_id, secret):
        """PATCH a ``RobotSec``: sets ``secret`` (Harbor generates one when it is empty)."""
        return self._request("PATCH", "/robots/%d" % int(robot_id), body={"secret": secret}).json()

    def delete_robot(self, robot_id):
        response = self._request("DELETE", "/robots/%d" % int(robot_id), expect=(404,))
        return response.status != 404

    # -- registry ----------------------------------------------------------------------------
    def registry_login(self, username, password):
        """Whether Harbor's registry token service accepts ``username``/``password``.

        This is what ``docker login``/``skopeo login`` do: a token request with Basic
        credentials and no scope. 200 means accepted, 401 refused.
        """
        response = self.http.request(
            "GET", "/service/token", query={"service": REGISTRY_SERVICE, "account": username},
            headers={"Authorization": basic_header(username, password)}, authenticated=False, expect=(401, 403))
        return response.status < 400
