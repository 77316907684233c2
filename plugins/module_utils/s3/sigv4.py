# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Signature Version 4 for S3 requests, pure functions (no I/O).

The algorithm as the S3 API reference gives it ("Authenticating Requests: Using the Authorization
Header", AWS Signature Version 4): a canonical request (method, URI-encoded path, sorted query,
sorted lower-case headers, the signed header names and the payload's SHA-256), a string to sign
(``AWS4-HMAC-SHA256``, the time, the scope ``<date>/<region>/s3/aws4_request`` and the canonical
request's SHA-256), and a signing key derived by HMAC-SHA256 from ``AWS4`` + the secret key through
date, region, service and ``aws4_request``. tests/unit/backup/test_s3_sigv4.py checks it against the
reference's own example (GET Object with a Range header).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac

from ansible.module_utils.six.moves.urllib.parse import quote

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ALGORITHM = "AWS4-HMAC-SHA256"


def uri_encode(value, keep_slash):
    """S3's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ percent-encoded (and '/' kept in a path)."""
    return quote(value.encode("utf-8") if not isinstance(value, bytes) else value,
                 safe="/-_.~" if keep_slash else "-_.~")


def canonical_query(params):
    """The query string of the canonical request (and of the URL): names and values encoded, sorted."""
    pairs = sorted((uri_encode(str(k), False), uri_encode(str(v), False)) for k, v in (params or {}).items())
    return "&".join("%s=%s" % pair for pair in pairs)


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key, date, region, service="s3"):
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def authorization(method, path, params, headers, payload_sha256, access_key, secret_key, region, amz_date):
    """The ``Authorization`` header for a request whose ``headers`` (host and x-amz-* included) are final.

    ``path`` is the already encoded path of the URL; ``amz_date`` is ``YYYYmmddTHHMMSSZ`` in UTC.
    """
    names = sorted(name.lower() for name in headers)
    lowered = dict((name.lower(), " ".join(str(value).strip().split())) for name, value in headers.items())
    canonical_headers = "".join("%s:%s\n" % (name, lowered[name]) for name in names)
    signed = ";".join(names)
    canonical = "\n".join([method, path, canonical_query(params), canonical_headers, signed, payload_sha256])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(secret_key, amz_date[:8], region), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ALGORITHM, access_key, scope, signed, signature)
