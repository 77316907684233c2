# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console API endpoints of Dify's plugins, over a logged-in DifyClient.

From github.com/langgenius/dify:

* ``api/controllers/console/workspace/plugin.py``: under ``/console/api/workspaces/current/plugin``,
  ``GET list`` (``{"plugins": [...], "total": n}``; ``page``/``page_size`` in 1.x),
  ``POST upload/pkg`` (multipart field ``pkg``), ``POST install/pkg``
  (``{"plugin_unique_identifiers": [...]}``), ``GET tasks/<task_id>`` (``{"task": {...}}``) and
  ``POST uninstall`` (``{"plugin_installation_id": ...}``). Every plugin daemon refusal is
  re-raised as ``ValueError``, which Dify answers HTTP 400 ``{"code": "invalid_param",
  "message": "req_id: ... PluginDaemonBadRequestError: <daemon message>"}``
  (``api/core/plugin/impl/exc.py``, ``PluginDaemonError.__str__``);
* ``api/services/plugin/plugin_service.py``: ``upload_pkg`` and ``install_from_local_pkg``
  (source ``package``), which also refuse when the workspace's installation scope forbids it;
* ``api/core/plugin/impl/plugin.py``: the daemon calls behind them, and
  ``api/core/plugin/entities/plugin_daemon.py``: ``PluginInstallTask`` (status ``pending``,
  ``running``, ``success`` or ``failed``, one status and message per plugin) and
  ``PluginInstallTaskStartResponse`` (``all_installed``, ``task_id``).

Upload and install are writes that are sent once: a lost answer is not retried (the next
run lists what is installed and goes on from there).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.auth import json_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import LoginError, error_summary
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiError,
    ApiResponseError,
    AuthenticationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import RetryPolicy, quote_segment

BASE = "/workspaces/current/plugin"
PAGE_SIZE = 256  # what Dify's own list asks the daemon for (core/plugin/impl/plugin.py list_plugins)
MAX_PAGES = 100
BAD_SIGNATURE = "bad signature"


class PluginRefusedError(ApiError):
    """Dify (or its plugin daemon) answered HTTP 400 to a plugin request."""

    def __init__(self, what, reason):
        self.what = what
        self.reason = reason
        super(PluginRefusedError, self).__init__("Dify refused %s (HTTP 400): %s" % (what, reason))


class SignatureRefusedError(PluginRefusedError):
    """The daemon verifies signatures (FORCE_VERIFYING_SIGNATURE) and no trusted key signed the package."""

    def __init__(self, what, reason):
        super(SignatureRefusedError, self).__init__(what, reason)
        self.args = (
            "Dify refused %s: the plugin daemon verifies signatures and no key it trusts signed this package "
            "(%s). Keep verification on: sign the package with the operator's key (mirror_bundle does, with "
            "mirror_bundle_dify_plugin_signing_key) and give the daemon the public key through "
            "THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED=true and THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS "
            "(docs/dify-plugins.md)." % (what, reason),)


class InstallTaskError(ApiError):
    """The daemon's install task ended failed, or did not end in time."""

    def __init__(self, message, task=None):
        self.task = task or {}
        super(InstallTaskError, self).__init__(message)


def multipart(field, filename, data):
    """A multipart/form-data body with one file part, as requests sends ``files=``."""
    boundary = "airgap-%s" % uuid.uuid4().hex
    head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n" % (boundary, field, filename)).encode("utf-8")
    tail = ("\r\n--%s--\r\n" % boundary).encode("utf-8")
    return head + data + tail, "multipart/form-data; boundary=%s" % boundary


class PluginApi:
    """The plugin endpoints; ``client`` is a DifyClient (it logs in on the first call)."""

    def __init__(self, client):
        self.client = client

    def _once(self, what, method, path, **kwargs):
        """A write sent once: a 5xx or a lost connection may hide a write the daemon did."""
        try:
            return self.client._call(method, path, retry=RetryPolicy(attempts=1), **kwargs)
        except (ApiConnectionError, ApiResponseError) as exc:
            if isinstance(exc, LoginError) or (isinstance(exc, ApiResponseError) and exc.status < 500):
                raise
            raise ApiError(
                "%s: %s. It was not retried, because the plugin daemon may have done it anyway; run the task "
                "again: it lists what is installed and goes on from there." % (what, exc)
            ) from exc

    def _refusable(self, what, method, path, once=False, **kwargs):
        try:
            if once:
                response = self._once(what, method, path, expect=(400,), **kwargs)
            else:
                response = self.client._call(method, path, expect=(400,), **kwargs)
        except AuthenticationError as exc:
            if isinstance(exc, LoginError) or exc.status != 403:
                raise
            # controllers/console/workspace/__init__.py, plugin_permission_required: the workspace's
            # plugin permission (install: upload and install; debug: tasks and uninstall) refuses the account.
            raise PluginRefusedError(what, "HTTP 403: the workspace's plugin permissions do not let this account "
                                     "install or manage plugins (Plugins > permissions in the console, or use the "
                                     "workspace owner's account or the admin API key)") from exc
        if response.status == 400:
            reason = error_summary(response.body)
            if BAD_SIGNATURE in reason.lower():
                raise SignatureRefusedError(what, reason)
            raise PluginRefusedError(what, reason)
        return json_of(response)

    def list_installed(self):
        """Every plugin installed in the workspace (Dify's PluginEntity objects)."""
        plugins = []
        for page in range(1, MAX_PAGES + 1):
            data = self._refusable("the plugin list", "GET", BASE + "/list",
                                   query={"page": page, "page_size": PAGE_SIZE})
            chunk = data.get("plugins") or []
            plugins.extend(chunk)
            total = data.get("total")
            # Without "total" the console does not page (its list before list_with_total): one answer is all.
            if not isinstance(total, int) or len(chunk) < PAGE_SIZE or len(plugins) >= total:
                return plugins
        raise ApiResponseError(200, self.client.http.url(BASE + "/list"), "more than %d pages of plugins" % MAX_PAGES)

    def upload(self, package):
        """Upload one package; Dify answers its unique identifier, manifest and verification."""
        raw = multipart("pkg", package.path.rsplit("/", 1)[-1], package.data)
        return self._refusable("the upload of %s" % package.path, "POST", BASE + "/upload/pkg", once=True, raw=raw)

    def install(self, identifiers):
        """Start installing uploaded packages; returns {all_installed, task_id}."""
        return self._refusable("the installation of %s" % ", ".join(identifiers), "POST", BASE + "/install/pkg",
                               once=True, body={"plugin_unique_identifiers": list(identifiers)})

    def task(self, task_id):
        return self._refusable("the install task %s" % task_id, "GET",
                               BASE + "/tasks/%s" % quote_segment(task_id)).get("task") or {}

    def uninstall(self, installation_id):
        what = "the uninstallation of %s" % installation_id
        data = self._refusable(what, "POST", BASE + "/uninstall", body={"plugin_installation_id": installation_id})
        if not data.get("success"):
            raise PluginRefusedError(what, "Dify answered success: false")
        return True
