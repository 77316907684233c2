# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One small HTTP client shared by every API package of the collection.

It verifies TLS against the system store or ``ca_path``, applies one timeout
to every request, retries connection errors and 5xx answers a bounded number
of times with exponential backoff (a refused certificate is final and never
retried; the last connection error names the attempts and the time spent), refreshes an expired token once on 401 and
sends the new one on the retry, and raises typed errors. It never calls
``fail_json``: modules turn the errors into failures in ``main()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import json
import random
import re
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import Request, make_context

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiResponseError,
    AuthenticationError,
    TlsVerificationError,
    ValidationError,
)

# Request(context=...) came with ansible-core 2.17; ansible-core 2.16's Request makes an SSL
# context of its own for every request (slower, same checks). tests/unit/common run on both
# through the ansible-core matrix (make matrix).
REQUEST_TAKES_CONTEXT = "context" in inspect.signature(Request.__init__).parameters

# A surrogate pair escape, preceded by an even number of backslashes (so not itself escaped).
SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def json_body(body):
    """``body`` as JSON in UTF-8 that YAML decoders also read.

    json.dumps writes a character beyond the Basic Multilingual Plane (an emoji) as a surrogate
    pair escape, which is valid JSON but which the Kubernetes API server's YAML decoder refuses
    for ``application/apply-patch+yaml`` ("found invalid Unicode character escape code"). Those
    characters are written as themselves; every other escape, which YAML accepts, is kept.
    """
    def joined(match):
        high, low = int(match.group(2), 16), int(match.group(3), 16)
        return match.group(1) + chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    return SURROGATE_PAIR.sub(joined, json.dumps(body)).encode("utf-8")


RETRYABLE_STATUS = frozenset((500, 502, 503, 504))


def check_retry_options(params):
    """Refuse the shared ``retries`` and ``timeout`` connection options when out of range."""
    if params.get("retries") is not None and params["retries"] < 0:
        raise ValidationError("retries must be 0 or more")
    if params.get("timeout") is not None and params["timeout"] <= 0:
        raise ValidationError("timeout must be more than 0 seconds")


def require_http_url(value, option):
    """``value`` when it is an http:// or https:// URL; otherwise a ValidationError naming ``option``."""
    if not value or not str(value).lower().startswith(("http://", "https://")):
        raise ValidationError("%s must be an http:// or https:// URL, got %r" % (option, value))
    return value


def quote_segment(value):
    """Encode one path segment, so that '/', '?' and '#' in a name stay data."""
    return quote(str(value), safe="")


class Response:
    """What a request returned: status, headers and the raw body."""

    def __init__(self, status, headers, body, url=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    def json(self):
        if not self.body:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as exc:
            raise ApiResponseError(self.status, self.url, "response is not JSON: %s" % exc) from exc

    def text(self):
        return self.body.decode("utf-8", errors="replace")


class RetryPolicy:
    """Bounded attempts with capped exponential backoff and full jitter."""

    def __init__(self, attempts=4, backoff=0.5, max_backoff=8.0, sleep=time.sleep):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep

    def delay(self, attempt):
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2.0, ceiling)  # noqa: S311 - jitter, not a secret

    def wait(self, attempt):
        self._sleep(self.delay(attempt))


class HttpClient:
    """JSON over HTTP(S) against one base URL.

    ``auth`` is optional; when given it must offer ``headers()`` (the headers
    that authenticate a request) and ``refresh(client)`` (obtain a new token,
    returning True when it did). ``request_count`` counts every request sent,
    retries and token requests included, for benchmarks and for the tests.
    """

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=30,
                 retry=None, auth=None, cookies=None, user_agent="airgap.dify_platform"):
        self.base_url = base_url.rstrip("/")
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.auth = auth
        self.cookies = cookies
        self.user_agent = user_agent
        self.request_count = 0
        # Built once: loading the CA store for every request costs more than the request.
        self._context = None

    def url(self, path, query=None):
        url = self.base_url + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urlencode(pairs, doseq=True)
        return url

    def request(self, method, path, query=None, body=None, form=None, headers=None,
                authenticated=True, expect=None, retry=None, raw=None):
        """Send a request and return a :class:`Response`.

        ``body`` is sent as JSON, ``form`` as ``application/x-www-form-urlencoded``,
        ``raw`` (``(bytes, content type)``, e.g. a multipart upload) as it is.
        ``expect`` lists the statuses that are answers rather than errors (4xx
        such as 404 or 409 that the caller wants to look at); any other status
        of 400 or more raises :class:`ApiResponseError`. ``retry`` replaces the
        client's policy for this request, e.g. ``RetryPolicy(attempts=1)`` for a
        write that must not be sent twice.
        """
        policy = retry or self.retry
        url = self.url(path, query)
        data, content_type = raw if raw is not None else self._encode(body, form)
        refreshed = False
        attempt = 0
        started = time.monotonic()
        while True:
            attempt += 1
            send_headers = self._headers(content_type, headers, authenticated)
            try:
                response = self._send(method, url, data, send_headers)
            except TlsVerificationError:
                raise  # the same certificate would be refused again
            except ApiConnectionError as exc:
                if attempt >= policy.attempts:
                    raise ApiConnectionError(url, "%s (%s)" % (exc.reason, self._spent(attempt, started))) from exc
                policy.wait(attempt)
                continue
            status = response.status
            if expect and status in expect:
                return response
            if status == 401 and authenticated and self.auth is not None and not refreshed:
                refreshed = True
                if self.auth.refresh(self):
                    attempt -= 1
                    continue
            if status in RETRYABLE_STATUS and attempt < policy.attempts:
                policy.wait(attempt)
                continue
            if status in (401, 403):
                raise AuthenticationError(status, url, response.text())
            if status >= 400:
                raise ApiResponseError(status, url, response.text(), method=method)
            return response

    def _spent(self, attempts, started):
        """How many attempts took how long, and the options that bound them, for a final connection error."""
        return "%d attempt%s in %.1f s, each with a timeout of %s s; the timeout and retries options bound this" % (
            attempts, "" if attempts == 1 else "s", time.monotonic() - started, self.timeout)

    def get_json(self, path, query=None, expect=None):
        return self.request("GET", path, query=query, expect=expect).json()

    def _encode(self, body, form):
        if body is not None:
            return json_body(body), "application/json"
        if form is not None:
            return urlencode(form).encode("utf-8"), "application/x-www-form-urlencoded"
        return None, None

    def _headers(self, content_type, extra, authenticated):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if authenticated and self.auth is not None:
            headers.update(self.auth.headers())
        if extra:
            headers.update(extra)
        return headers

    def _send(self, method, url, data, headers):
        self.request_count += 1
        options = {}
        if REQUEST_TAKES_CONTEXT:
            if self._context is None:  # Request makes one per call otherwise, even for http (slow: it loads the CA store)
                self._context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            options["context"] = self._context
        request = Request(
            validate_certs=self.validate_certs,
            ca_path=self.ca_path,
            timeout=self.timeout,
            http_agent=self.user_agent,
            cookies=self.cookies,
            follow_redirects="safe",
            **options
        )
        try:
            handle = request.open(method, url, data=data, headers=headers)
            return Response(handle.getcode(), dict(handle.headers), handle.read(), url)
        except HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            return Response(exc.code, dict(exc.headers or {}), body, url)
        except (URLError, socket.timeout, ssl.SSLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, ssl.SSLCertVerificationError) or isinstance(exc, ssl.SSLCertVerificationError):
                raise TlsVerificationError(url, str(reason)) from exc
            raise ApiConnectionError(url, str(reason)) from exc


def client_from_params(base_url, params, auth=None, cookies=None, user_agent="airgap.dify_platform", sleep=None):
    """An :class:`HttpClient` from the connection options every API module shares.

    ``validate_certs``, ``ca_path``, ``timeout``, ``retries`` and ``retry_backoff``
    (checked first with :func:`check_retry_options`); an option left out or
    None takes the modules' default. ``sleep`` replaces the backoff's sleep (tests).
    """
    check_retry_options(params)

    def option(name, default):
        value = params.get(name)
        return default if value is None else value

    retry = dict(attempts=option("retries", 3) + 1, backoff=option("retry_backoff", 0.5))
    if sleep is not None:
        retry["sleep"] = sleep
    return HttpClient(base_url, validate_certs=option("validate_certs", True), ca_path=params.get("ca_path"),
                      timeout=option("timeout", 30), retry=RetryPolicy(**retry), auth=auth, cookies=cookies,
                      user_agent=user_agent)
