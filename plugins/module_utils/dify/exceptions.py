# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the Dify package. They extend the shared hierarchy in errors.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiError,
    AuthenticationError,
    PlatformError,
    ValidationError,
)


def error_summary(body):
    """Dify answers errors as JSON {code, message, status}; return "message (code)" or the raw text."""
    text = body if isinstance(body, str) else (body or b"").decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:500]
    if isinstance(data, dict):
        message = data.get("message") or data.get("error") or data.get("data")
        code = data.get("code")
        if message and code:
            return "%s (%s)" % (message, code)
        if message:
            return str(message)
    return text.strip()[:500]


class DslError(ValidationError):
    """A DSL file or content is not something Dify can import; raised before any request."""

    def __init__(self, source, problem):
        self.source = source
        self.problem = problem
        super(DslError, self).__init__("%s: %s" % (source, problem))


class LoginError(AuthenticationError):
    """Dify refused the email and password (or the admin API key)."""

    def __init__(self, status, url, body, who):
        super(LoginError, self).__init__(status, url, body, method="POST")
        self.args = ("Dify refused the login of %s (HTTP %s): %s" % (who, status, error_summary(body)),)


class SetupError(ApiError):
    """The first-run setup (or its init password step) was refused."""


class AppLookupError(ApiError):
    """The app named by the task is missing or ambiguous."""


class ImportFailedError(ApiError):
    """Dify answered an import with status failed."""

    def __init__(self, source, error, response=None):
        self.source = source
        self.error = error
        self.response = response or {}
        super(ImportFailedError, self).__init__("Dify refused the import of %s: %s" % (source, error or "no reason given"))


class PendingImportError(ApiError):
    """The import needs a confirmation (DSL version mismatch) that the task did not allow."""

    def __init__(self, source, imported_version, current_version):
        self.imported_version = imported_version
        self.current_version = current_version
        super(PendingImportError, self).__init__(
            "%s has DSL version %s but this Dify speaks DSL version %s, so Dify holds the import as "
            "pending until it is confirmed. Nothing was changed. Set allow_version_mismatch: true to "
            "confirm it, or re-export the app from a Dify that speaks %s."
            % (source, imported_version or "(none, read as 0.1.0)", current_version or "(unknown)", current_version or "that version")
        )


class OverwriteNotAllowedError(ApiError):
    """Dify can overwrite only workflow and advanced-chat apps in place."""


class PluginDaemonError(ApiError):
    """Every export calls the plugin daemon; it did not answer."""


class ExportError(ApiError):
    """An export failed for another reason than the plugin daemon."""


class RecreateError(ApiError):
    """A recreate stopped half-way; the message says what exists and where the backup is."""


class TracingRefusedError(ApiError):
    """Dify answered HTTP 400 to a tracing write: a config it could not check, or a bad request."""

    def __init__(self, what, reason):
        self.what = what
        self.reason = reason
        super(TracingRefusedError, self).__init__("Dify refused %s (HTTP 400): %s" % (what, reason))


class BatchError(PlatformError):
    """Several DSL files at once: every problem found, listed together."""
