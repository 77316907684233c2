# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a registry holds a manifest, asked over HTTPS from the engine's own process.

Before it pushes, and after each push, a run asks the destination whether it holds each
image (and each platform of a sparse index) with its digest. One ``skopeo inspect`` process
per question made a rerun of disk_to_mirror start 22 processes for 20 images (issue 20,
``make bench-mirror``). This asks the registry directly: ``GET /v2/<name>/manifests/<digest>``
of the OCI distribution API, with the two schemes registries answer with: Basic, or a Bearer
token from the realm the challenge names (distribution/distribution
``docs/content/spec/auth/token.md``; Harbor serves it at ``/service/token``).

Only two answers are final: the manifest whose sha256 is that digest (present), or 404
(absent: no such manifest, repository or project). Anything else (another status, a refused
token, a TLS or connection error) raises :class:`Unsure` and the caller asks skopeo, as
before, whose errors say what went wrong. Standard library only (the engine runs on mirror
hosts without Ansible); proxies come from the environment, as skopeo's do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import re
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request

ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class Unsure(Exception):
    """The registry gave no final answer; ask skopeo."""


def parse_challenge(header):
    """``('basic'|'bearer'|other, {param: value})`` from a WWW-Authenticate header."""
    scheme, _sep, rest = (header or "").strip().partition(" ")
    return scheme.lower(), dict(CHALLENGE_PARAM.findall(rest))


class Presence:
    """Asks one registry host whether it holds manifests; thread-safe, tokens kept per scope."""

    def __init__(self, host, credentials=None, ca_path=None, tls_verify=True, timeout=60, scheme="https", system_cas=False):
        self.host = host
        self.credentials = credentials  # (username, password) or None
        self.timeout = timeout
        self.base = "%s://%s" % (scheme, host)
        # ``system_cas``: the system's CAs and ``ca_path`` both, as crane's bundle (crane.py) for the sources.
        context = ssl.create_default_context(cafile=None if system_cas else (ca_path or None))
        if system_cas and ca_path:
            context.load_verify_locations(cafile=ca_path)
        if not tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        self.lock = threading.Lock()
        self.challenge = None  # the registry's scheme and parameters, once it answered 401
        self.tokens = {}  # scope -> Bearer token

    def _basic(self):
        user, password = self.credentials
        return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")

    def _open(self, url, headers):
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only: built here, the realm checked
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            body = exc.read()
            exc.close()
            return exc.code, body, exc.headers
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Unsure("%s: %s" % (url, exc)) from exc

    def _token(self, params, scope):
        with self.lock:
            if scope in self.tokens:
                return self.tokens[scope]
        realm = params.get("realm")
        if not realm or urllib.parse.urlsplit(realm).scheme not in ("https", "http"):
            raise Unsure("the registry's token realm %r is not an HTTP address" % (realm,))
        query = [("service", params["service"])] if params.get("service") else []
        query.append(("scope", scope))
        headers = {"Authorization": self._basic()} if self.credentials else {}
        status, body, _headers = self._open(realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query), headers)
        if status != 200:
            raise Unsure("the token service answered %s" % status)
        try:
            data = json.loads(body.decode("utf-8"))
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError) as exc:
            raise Unsure("the token service's answer is not a token") from exc
        if not token:
            raise Unsure("the token service's answer holds no token")
        with self.lock:
            self.tokens[scope] = token
        return token

    def _authorization(self, repository):
        with self.lock:
            challenge = self.challenge
        if challenge is None:
            return None
        scheme, params = challenge
        if scheme == "basic" and self.credentials:
            return self._basic()
        if scheme == "bearer":
            return "Bearer " + self._token(params, "repository:%s:pull" % repository)
        raise Unsure("the registry asks for %s authentication" % scheme)

    def manifest(self, repository, digest):
        """The manifest's bytes when the registry holds ``repository@digest``, None on 404; else Unsure."""
        url = "%s/v2/%s/manifests/%s" % (self.base, repository, digest)
        headers = {"Accept": ACCEPT}
        auth = self._authorization(repository)
        if auth:
            headers["Authorization"] = auth
        status, body, answer_headers = self._open(url, headers)
        if status == 401 and auth is None:
            challenge = parse_challenge(answer_headers.get("WWW-Authenticate"))
            with self.lock:
                self.challenge = challenge
            auth = self._authorization(repository)
            if auth:
                headers["Authorization"] = auth
                status, body, answer_headers = self._open(url, headers)
        if status == 404:
            return None
        if status != 200:
            raise Unsure("%s answered %s" % (url, status))
        return body

    def holds(self, repository, digest):
        """Whether the registry holds ``repository@digest`` with that digest (False on 404); else Unsure."""
        body = self.manifest(repository, digest)
        return body is not None and "sha256:" + hashlib.sha256(body).hexdigest() == digest
