# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw manifests of the source images by digest, read over HTTPS in the engine's own process.

Planning a mirror_to_disk run reads the manifest of every image (and of each platform of an
index): one ``crane manifest`` process each made 30 processes for the 20 images of
``make bench-mirror`` (issue 20), each a Go start, a TLS handshake and an authentication.
They are read here through :class:`presence.Presence` (Basic, or a Bearer token from the realm
the registry names), with the system's CAs and the source CA, as crane's bundle. crane is asked,
as before, wherever this gives no final answer: another status than 200, a refused token, TLS,
a connection error, a reference without a registry host, a manifest that does not match its
digest, so that crane's errors still say what went wrong. The caller checks every manifest
against its digest again (``ocilayout.walk``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.presence import Presence, Unsure
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import is_digest, looks_like_host
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import digest_of

# Docker Hub's registry API is served at another name than the one in references
# (distribution/reference normalize.go: docker.io, official images under library/).
DOCKER_HUB = ("docker.io", "index.docker.io")
DOCKER_HUB_API = "registry-1.docker.io"


class SourceManifests:
    """``manifests(ref)`` -> raw bytes of ``host/path@sha256:...``; ``fallback(ref)`` (crane) where unsure."""

    def __init__(self, endpoint, fallback, scheme="https"):
        self.endpoint = endpoint
        self.fallback = fallback
        self.scheme = scheme
        self.clients = {}
        self.lock = threading.Lock()

    def _client(self, host):
        with self.lock:
            if host not in self.clients:
                self.clients[host] = Presence(DOCKER_HUB_API if host in DOCKER_HUB else host, self.endpoint.credentials.get(host),
                                              self.endpoint.ca_path, self.endpoint.tls_verify, scheme=self.scheme,
                                              system_cas=True)
            return self.clients[host]

    def __call__(self, ref):
        name, sep, digest = ref.rpartition("@")
        host, _slash, repository = name.partition("/")
        if sep and is_digest(digest) and repository and looks_like_host(host):
            if host in DOCKER_HUB and "/" not in repository:
                repository = "library/" + repository
            try:
                data = self._client(host).manifest(repository, digest)
            except Unsure:
                data = None
            if data is not None and digest_of(data) == digest:
                return data
        return self.fallback(ref)
