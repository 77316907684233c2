# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lean Kubernetes API client: one kept-alive TLS connection, discovery per group-version.

It is :class:`HttpClient` (bounded retries with backoff, typed errors) with a
transport that reuses one connection, as kubectl does, instead of one TLS
handshake per request; and it maps ``apiVersion``/``kind`` to REST paths by
reading the discovery document of each group-version once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import ssl
import tempfile

from ansible.module_utils.six.moves import http_client
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import make_context

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ValidationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.kubeconfig import load_connection
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import (
    HttpClient,
    Response,
    quote_segment,
)


class HeaderAuth:
    """A fixed Authorization header (bearer token or basic); nothing to refresh."""

    def __init__(self, value):
        self.value = value

    def headers(self):
        return {"Authorization": self.value}

    def refresh(self, client):
        return False


class KubeClient(HttpClient):
    """Requests to one API server over one kept-alive connection."""

    def __init__(self, connection, validate_certs=True, ca_path=None, timeout=30, retry=None):
        header = "Bearer " + connection.token if connection.token else connection.basic_auth()
        super(KubeClient, self).__init__(
            connection.server, validate_certs=validate_certs and not connection.insecure,
            ca_path=ca_path or connection.ca_file, timeout=timeout, retry=retry, auth=HeaderAuth(header) if header else None)
        self.connection = connection
        self._resources = {}
        self._http = None
        parts = urlsplit(self.base_url)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")

    # -- transport -------------------------------------------------------
    def _ssl_context(self):
        ca_data = None if self.ca_path and self.ca_path != self.connection.ca_file else self.connection.ca_data
        context = make_context(cafile=self.ca_path if not ca_data else None, validate_certs=self.validate_certs)
        if ca_data and self.validate_certs:
            context.load_verify_locations(cadata=ca_data.decode("ascii"))
        cert, key = self.connection.cert_file, self.connection.key_file
        if self.connection.cert_data:
            with _private_file(self.connection.cert_data) as cert, _private_file(self.connection.key_data or b"") as key:
                context.load_cert_chain(cert, key)
        elif cert:
            context.load_cert_chain(cert, key)
        return context

    def _open(self):
        if self._scheme == "https":
            if self._context is None:
                self._context = self._ssl_context()
            return http_client.HTTPSConnection(self._host, self._port or 443, timeout=self.timeout, context=self._context)
        return http_client.HTTPConnection(self._host, self._port or 80, timeout=self.timeout)

    def _send(self, method, url, data, headers):
        self.request_count += 1
        target = url[len(self.base_url):] if url.startswith(self.base_url) else url
        headers = dict(headers, **{"User-Agent": self.user_agent})
        for fresh in (False, True):
            if self._http is None:
                self._http = self._open()
            try:
                self._http.request(method, self._prefix + target, body=data, headers=headers)
                handle = self._http.getresponse()
                return Response(handle.status, dict(handle.getheaders()), handle.read(), url)
            except (http_client.HTTPException, socket.timeout, ssl.SSLError, OSError) as exc:
                self.close()
                # A kept-alive connection the server closed: retry once on a new one.
                if fresh or isinstance(exc, (socket.timeout, ssl.SSLError)):
                    raise ApiConnectionError(url, str(exc)) from exc
        raise ApiConnectionError(url, "no response")  # pragma: no cover - the loop returns or raises

    def close(self):
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- discovery and paths ---------------------------------------------
    def _discover(self, api_version):
        """{kind: (plural, namespaced)} of a group-version, read once; empty when it is not served."""
        if api_version not in self._resources:
            base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
            document = self.request("GET", base, expect=(404,))
            found = {}
            if document.status != 404:
                for entry in (document.json() or {}).get("resources", []):
                    if "/" not in entry.get("name", ""):
                        found[entry["kind"]] = (entry["name"], bool(entry.get("namespaced")))
            self._resources[api_version] = found
        return self._resources[api_version]

    def resource(self, api_version, kind):
        """(plural, namespaced) of a kind, from the discovery document of its group-version."""
        try:
            return self._discover(api_version)[kind]
        except KeyError:
            raise ValidationError(
                "%s %s is not served by the cluster (is its CRD or operator installed?)" % (api_version, kind)) from None

    def served_kinds(self, api_version):
        """The kinds the cluster serves in a group-version (none when it does not serve it)."""
        return sorted(self._discover(api_version))

    def path(self, obj, name=True):
        """The REST path of an object (``name=False``: of its collection)."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        metadata = obj.get("metadata") or {}
        if not api_version or not kind or not metadata.get("name"):
            raise ValidationError("every object needs apiVersion, kind and metadata.name: %r" % (
                {"apiVersion": api_version, "kind": kind, "name": metadata.get("name")},))
        plural, namespaced = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
        if namespaced:
            if not metadata.get("namespace"):
                raise ValidationError("%s %s needs metadata.namespace" % (kind, metadata["name"]))
            base += "/namespaces/" + quote_segment(metadata["namespace"])
        base += "/" + plural
        return base + "/" + quote_segment(metadata["name"]) if name else base


def client_from_options(get_option):
    """A client from the kubeconfig options a plugin documents (doc fragment airgap.dify_platform.kubeconfig)."""
    return KubeClient(load_connection(get_option("kubeconfig"), get_option("context")),
                      validate_certs=get_option("validate_certs"), ca_path=get_option("ca_path"))


class _private_file:
    """Inline key material in a file only the current user can read, removed on exit."""

    def __init__(self, data):
        self.data = data
        self.path = None

    def __enter__(self):
        handle, self.path = tempfile.mkstemp(prefix="airgap-k8s-")
        with os.fdopen(handle, "wb") as out:
            out.write(self.data)
        return self.path

    def __exit__(self, *exc):
        os.unlink(self.path)
        return False
