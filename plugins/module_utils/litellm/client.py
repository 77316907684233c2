# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LiteLLM proxy admin REST client: keys, users and teams, JSON in and out.

Transport (TLS, timeouts, bounded retries with backoff, URL-encoding, typed
errors) is ``module_utils.http_client.HttpClient``; this class only knows LiteLLM's
endpoints, reads lists page by page with a stable sort, and turns a refused
master key into an error that says so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiResponseError,
    AuthenticationError,
    ValidationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import (
    RetryPolicy,
    client_from_params,
    require_http_url,
)

USER_AGENT = "airgap.dify_platform-litellm"
PAGE_SIZE = 100  # the largest page LiteLLM accepts (101 is answered 422)
MAX_PAGES = 10000
DELETE_BATCH = 100
USER_ID_BATCH = 50  # ids per /user/list?user_ids= request, to keep the URL short
# A create is sent once: a retry after a lost answer would fail on the existing alias and lose the
# raw key for good. create.py looks the item up after a failed create instead.
ONCE = RetryPolicy(attempts=1)


class MasterKeyAuth:
    """The master key as a bearer token; there is nothing to refresh."""

    def __init__(self, master_key):
        self._master_key = master_key

    def headers(self):
        return {"Authorization": "Bearer " + self._master_key}

    def refresh(self, client):  # pylint: disable=unused-argument
        return False


def error_detail(body):
    """LiteLLM's error message from an error body, or the body itself."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return (body or "").strip()
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data))
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        return json.dumps(error) if not isinstance(error, str) else error
    return str(data)


class LiteLLMClient:
    """The admin API of one LiteLLM proxy, authenticated with the master key."""

    def __init__(self, http):
        self.http = http

    @classmethod
    def from_params(cls, params, sleep=None):
        """Build from the shared connection options (see ``args``)."""
        url = require_http_url(params.get("api_url"), "api_url")
        if not params.get("master_key"):
            raise ValidationError("master_key is required (or set LITELLM_MASTER_KEY)")
        return cls(client_from_params(url, params, auth=MasterKeyAuth(params["master_key"]), user_agent=USER_AGENT,
                                      sleep=sleep))

    @property
    def request_count(self):
        return self.http.request_count

    def _call(self, method, path, query=None, body=None, expect=None, retry=None):
        try:
            return self.http.request(method, path, query=query, body=body, expect=expect, retry=retry)
        except AuthenticationError as exc:
            raise AuthenticationError(
                exc.status, exc.url,
                "LiteLLM refused the master key (HTTP %s on %s %s): %s. Check master_key (LITELLM_MASTER_KEY); "
                "it must be the proxy's master key or an admin key."
                % (exc.status, method, path, error_detail(exc.body)[:200])) from exc

    def _json(self, method, path, query=None, body=None, expect=None, retry=None):
        return self._call(method, path, query=query, body=body, expect=expect, retry=retry).json()

    def _pages(self, path, items_key, size_param, query):
        """Every item of a paginated list, page by page."""
        items = []
        page = 1
        while page <= MAX_PAGES:
            params = dict(query)
            params.update({"page": page, size_param: PAGE_SIZE})
            data = self._json("GET", path, query=params) or {}
            batch = data.get(items_key) or []
            items.extend(batch)
            total_pages = data.get("total_pages") or 0
            if page >= total_pages or not batch:
                return items
            page += 1
        raise ApiResponseError(200, path, "more than %d pages" % MAX_PAGES)

    # --- keys -------------------------------------------------------------------

    def list_keys(self, with_users=False):
        """Every live key as a full object (not only its hash).

        ``with_users`` adds each key's user object under ``user`` (LiteLLM reads them with one
        query per page), which spares the user list's per-user key counting.
        """
        query = {"return_full_object": "true", "sort_by": "token", "sort_order": "asc"}
        if with_users:
            query["expand"] = "user"
        return self._pages("/key/list", "keys", "size", query)

    def find_key(self, key_alias):
        """The key with this alias (full object), or None. One request."""
        data = self._json("GET", "/key/list", query={
            "key_alias": key_alias, "return_full_object": "true", "size": PAGE_SIZE, "page": 1}) or {}
        for key in data.get("keys") or []:
            if isinstance(key, dict) and key.get("key_alias") == key_alias:
                return key
        return None

    def generate_key(self, body):
        """Create a key, sent once; the answer's ``key`` is the raw key, shown this once."""
        return self._json("POST", "/key/generate", body=body, retry=ONCE)

    def update_key(self, body):
        return self._json("POST", "/key/update", body=body)

    def delete_keys(self, key_aliases):
        """Delete keys by alias, in batches; aliases already gone are not an error."""
        deleted = []
        aliases = list(key_aliases)
        for start in range(0, len(aliases), DELETE_BATCH):
            batch = aliases[start:start + DELETE_BATCH]
            response = self._call("POST", "/key/delete", body={"key_aliases": batch}, expect=(404,))
            if response.status == 404:
                continue
            deleted.extend((response.json() or {}).get("deleted_keys") or batch)
        return deleted

    # --- users and teams --------------------------------------------------------

    def find_users(self, user_ids):
        """The users among ``user_ids`` that exist, asked for USER_ID_BATCH ids per request.

        LiteLLM matches a single id as a substring, so the answer is filtered on exact ids.
        """
        wanted = list(dict.fromkeys(user_ids))
        found = {}
        for start in range(0, len(wanted), USER_ID_BATCH):
            batch = wanted[start:start + USER_ID_BATCH]
            for user in self._pages("/user/list", "users", "page_size",
                                    {"user_ids": ",".join(batch), "sort_by": "user_id", "sort_order": "asc"}):
                if isinstance(user, dict) and user.get("user_id") in batch:
                    found[user["user_id"]] = user
        return list(found.values())

    def new_user(self, body):
        return self._json("POST", "/user/new", body=body, retry=ONCE)

    def update_user(self, body):
        return self._json("POST", "/user/update", body=body)

    def list_teams(self):
        return self._pages("/v2/team/list", "teams", "page_size", {"sort_by": "team_id", "sort_order": "asc"})

    def new_team(self, body):
        return self._json("POST", "/team/new", body=body, retry=ONCE)

    def find_team(self, team_id):
        """The team with this id, or None (``/team/info`` answers 404 for an unknown team)."""
        response = self._call("GET", "/team/info", query={"team_id": team_id}, expect=(404,))
        if response.status == 404:
            return None
        data = response.json() or {}
        return data.get("team_info") or data

    def update_team(self, body):
        return self._json("POST", "/team/update", body=body)
