# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by module_utils. Only a module's main() turns them into fail_json."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

EXCERPT_CHARS = 160  # a message quotes this much of a body that has no JSON error field; .body keeps it whole
# Error fields of the APIs this collection talks to: Keycloak (error, error_description, errorMessage),
# LiteLLM/FastAPI (error: {message, type, code}, detail), Dify (message, code).
JSON_ERROR_FIELDS = ("error", "error_description", "errorMessage", "message", "detail", "code", "type")
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S | re.I)
_SPACE = re.compile(r"\s+")


def _json_fields(data):
    """"field: value" for the error fields of a decoded JSON body, nested ``error`` objects included."""
    parts = []
    for name in JSON_ERROR_FIELDS:
        value = data.get(name)
        if isinstance(value, dict):
            parts.extend("%s.%s" % (name, part) for part in _json_fields(value))
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
            parts.append("%s: %s" % (name, str(value)[:EXCERPT_CHARS]))
        elif isinstance(value, list) and value:
            parts.append("%s: %s" % (name, json.dumps(value)[:EXCERPT_CHARS]))
    return parts


def body_summary(body):
    """What a message quotes of an error body: its JSON error fields when it has any,
    otherwise a short excerpt with HTML tags and runs of blanks removed."""
    text = body if isinstance(body, str) else (body or b"").decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts = _json_fields(data)
        if parts:
            return "; ".join(parts)
    excerpt = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[:EXCERPT_CHARS].rstrip() + "..."
    return excerpt or "(empty body)"


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


class TlsVerificationError(ApiConnectionError):
    """The server's certificate was refused. Final: a retry meets the same certificate."""

    def __init__(self, url, reason):
        super(TlsVerificationError, self).__init__(url, reason)
        self.args = ("TLS verification of %s failed: %s. Not retried: give the CA that signed the server's "
                     "certificate in ca_path, or fix the server's certificate" % (url, reason),)


class ApiResponseError(ApiError):
    """The server answered with an error status."""

    def __init__(self, status, url, body, method=None):
        self.status = status
        self.url = url
        self.body = body
        where = "%s %s" % (method, url) if method else url
        super(ApiResponseError, self).__init__("%s answered HTTP %s: %s" % (where, status, body_summary(body)))


class AuthenticationError(ApiResponseError):
    """Credentials were refused (401/403), also after a token refresh."""
