# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING, or gpl-3.0.txt at www.gnu.org/licenses). No URL with a scheme
# here: the connectivity contract reads URLs in mounted ConfigMaps as connections (tests/connectivity/derive.py).
"""Make the platform's own workloads' LiteLLM virtual keys, from inside the proxy's pod.

Run by the proxy container's postStart hook (roles/litellm/templates/litellm.yml.j2),
with the Python of LiteLLM's image and its standard library only. It talks to the
proxy on the pod's loopback, so no NetworkPolicy and no Route is involved, and the
master key it needs is the one the proxy already holds (LITELLM_MASTER_KEY).

Each key of LITELLM_WORKLOAD_KEYS_FILE (a JSON list of {alias, env, models, per_person}) has its
raw value in the environment variable named by ``env`` (from a Secret the foundation
wave generated once). The key is made with that value, so the workload's Secret and
LiteLLM agree without any value passing through Ansible:

- absent (or only in LiteLLM's deleted-keys table): POST /key/generate with the value;
  an older key holding the alias (the Secret was made anew) is deleted first, when it
  carries this script's tag;
- present with other models, another alias or another per_person mark in its metadata
  (read by the model-access hook, model_access.py): POST /key/update;
- otherwise nothing.

LiteLLM v1.104.2 (BerriAI/litellm, litellm/proxy/management_endpoints/
key_management_endpoints.py): /key/info answers 404 "Key not found in database" for an
unknown key and status "deleted" for a deleted one; /key/generate takes ``key``.

The values are never printed. Exit status 0 when every key is as declared.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import ssl
import sys
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

TAG = "airgap.dify_platform"
OWNER = "litellm role (workload key)"


class ApiError(Exception):
    def __init__(self, status, body):
        Exception.__init__(self, "HTTP %s: %s" % (status, str(body)[:300]))
        self.status = status
        self.body = body


class Proxy(object):
    """The proxy's admin API, with the master key."""

    def __init__(self, url, master_key, timeout=30):
        self.url = url.rstrip("/")
        self.master_key = master_key
        self.timeout = timeout
        self.context = None
        if self.url.startswith("https://"):
            # The proxy serves the service-serving certificate of its Service name (reencrypt
            # Routes); this connection is the pod's own loopback, which that name does not cover.
            self.context = ssl.create_default_context()
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def call(self, method, path, body=None):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = Request(self.url + path, data=data, method=method, headers={  # noqa: S310 (loopback URL)
            "Authorization": "Bearer " + self.master_key, "Content-Type": "application/json"})
        try:
            response = urlopen(request, timeout=self.timeout, context=self.context)  # noqa: S310 (loopback URL)
            raw = response.read()
            return json.loads(raw) if raw else None
        except HTTPError as exc:
            raw = exc.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            raise ApiError(exc.code, parsed) from None

    def wait_ready(self, timeout):
        """Until /health/readiness says the database is connected."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                body = self.call("GET", "/health/readiness")
                if isinstance(body, dict) and body.get("db") == "connected":
                    return
                last = body
            except (ApiError, URLError, OSError, ValueError) as exc:
                last = exc
            time.sleep(2)
        raise SystemExit("LiteLLM not ready after %ss: %s" % (timeout, last))

    def key_info(self, raw):
        """The key's info, or None when LiteLLM does not hold it (or only as deleted)."""
        try:
            body = self.call("GET", "/key/info?" + urlencode({"key": raw}))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        info = (body or {}).get("info") or {}
        return None if info.get("status") == "deleted" else info

    def keys_with_alias(self, alias):
        query = urlencode({"key_alias": alias, "return_full_object": "true", "size": "100"})
        body = self.call("GET", "/key/list?" + query)
        return [k for k in (body or {}).get("keys") or [] if isinstance(k, dict) and k.get("key_alias") == alias]


def ours(key):
    metadata = key.get("metadata") or {}
    return isinstance(metadata.get(TAG), dict) and metadata[TAG].get("owner") == OWNER


def tag(per_person):
    """This script's entry in the key's metadata; ``per_person`` is read by the model-access hook (model_access.py)."""
    mine = {"owner": OWNER, "scope": "workload"}
    if per_person:
        mine["per_person"] = True
    return mine


def ensure(proxy, alias, raw, models, per_person=False):
    """Make one key as declared; returns created, updated or unchanged."""
    info = proxy.key_info(raw)
    if info is not None:
        metadata = info.get("metadata") if isinstance(info.get("metadata"), dict) else {}
        if (sorted(info.get("models") or []) == sorted(models) and info.get("key_alias") == alias
                and metadata.get(TAG) == tag(per_person)):
            return "unchanged"
        # /key/update replaces the metadata it is given (prepare_metadata_fields): the key's own entries are kept.
        proxy.call("POST", "/key/update", {"key": raw, "key_alias": alias, "models": models,
                                           "metadata": dict(metadata, **{TAG: tag(per_person)})})
        return "updated"
    for old in proxy.keys_with_alias(alias):
        if not ours(old):
            raise SystemExit("key alias %s is held by a key this script did not make: rename or delete it" % alias)
        proxy.call("POST", "/key/delete", {"keys": [old["token"]]})
    body = {"key": raw, "key_alias": alias, "models": models, "metadata": {TAG: tag(per_person)}}
    try:
        proxy.call("POST", "/key/generate", body)
    except ApiError:
        # Another replica's hook may have made it at the same moment.
        if proxy.key_info(raw) is None:
            raise
    return "created"


def main(environ):
    with open(environ["LITELLM_WORKLOAD_KEYS_FILE"]) as handle:
        declared = json.load(handle)
    proxy = Proxy(environ.get("LITELLM_WORKLOAD_KEYS_URL", "http://127.0.0.1:4000"), environ["LITELLM_MASTER_KEY"])
    proxy.wait_ready(float(environ.get("LITELLM_WORKLOAD_KEYS_WAIT", "900")))
    failed = False
    for item in declared:
        raw = environ.get(item["env"], "")
        if len(raw) < 20:
            print("%s: the value in %s is missing or too short" % (item["alias"], item["env"]))
            failed = True
            continue
        for attempt in range(5):
            try:
                print("%s: %s" % (item["alias"], ensure(proxy, item["alias"], raw, list(item["models"]),
                                                        bool(item.get("per_person")))))
                break
            except (ApiError, URLError, OSError) as exc:
                if attempt == 4:
                    print("%s: failed: %s" % (item["alias"], exc))
                    failed = True
                time.sleep(3)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
