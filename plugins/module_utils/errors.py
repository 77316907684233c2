# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by module_utils. Only a module's main() turns them into fail_json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MAX_BODY_IN_MESSAGE = 500


class PlatformError(Exception):
    """Base class of every error this collection raises on purpose."""


class ValidationError(PlatformError):
    """The user's input is wrong; raised before any request is sent."""


class ApiError(PlatformError):
    """An API did not do what was asked."""


class ApiConnectionError(ApiError):
    """The server could not be reached, or TLS failed, after every retry."""

    def __init__(self, url, reason):
        self.url = url
        self.reason = reason
        super(ApiConnectionError, self).__init__("cannot reach %s: %s" % (url, reason))


class ApiResponseError(ApiError):
    """The server answered with an error status."""

    def __init__(self, status, url, body, method=None):
        self.status = status
        self.url = url
        self.body = body
        snippet = (body or "")[:MAX_BODY_IN_MESSAGE]
        where = "%s %s" % (method, url) if method else url
        super(ApiResponseError, self).__init__("%s answered HTTP %s: %s" % (where, status, snippet))


class AuthenticationError(ApiResponseError):
    """Credentials were refused (401/403), also after a token refresh."""
