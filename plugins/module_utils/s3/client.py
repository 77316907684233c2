# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small S3 client: the five calls the backup and restore of Dify's file storage need.

ListObjectsV2, GetObject (streamed to a file, hashed on the way), PutObject (streamed from a file or
from memory), HeadBucket and CreateBucket, signed with AWS Signature Version 4 (sigv4.py). TLS is
verified against ``ca_pem`` (the platform's CA) or the system store; never turned off. Path or
virtual-host addressing as Dify's ``S3_ADDRESS_STYLE`` (``auto`` is virtual for AWS endpoints, path
otherwise). Connection errors and 5xx answers are retried a bounded number of times with backoff; a
refused certificate is final. Credentials are never part of an error message.

Not the collection's JSON client (http_client.py): S3 bodies are XML or bytes streamed to and from files,
and every request is signed over its headers. No boto3: neither the controller's requirements nor the
execution environment carry it, and these calls are all the backup needs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import ssl
import time
import xml.etree.ElementTree as ET

from ansible.module_utils.six.moves import http_client
from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import (
    ApiConnectionError,
    ApiResponseError,
    TlsVerificationError,
    ValidationError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import RetryPolicy
from ansible_collections.airgap.dify_platform.plugins.module_utils.s3 import sigv4

CHUNK = 1024 * 1024
RETRYABLE_STATUS = frozenset((500, 502, 503, 504))


def _ns_free(tag):
    return tag.rsplit("}", 1)[-1]


def parse_list(body):
    """(objects, next continuation token) of a ListObjectsV2 answer; objects as {key, size, etag}."""
    root = ET.fromstring(body)  # noqa: S314 - the configured store's answer; expat >= 2.4.1 refuses entity expansion bombs
    objects, token, truncated = [], None, False
    for child in root:
        name = _ns_free(child.tag)
        if name == "Contents":
            fields = dict((_ns_free(field.tag), field.text or "") for field in child)
            objects.append({"key": fields.get("Key", ""), "size": int(fields.get("Size", "0") or 0),
                            "etag": fields.get("ETag", "").strip('"')})
        elif name == "NextContinuationToken":
            token = child.text
        elif name == "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
    return objects, (token if truncated else None)


def error_code(body):
    """The ``Code`` of an S3 error document, or an excerpt of the body."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - as in parse_list
        code = [child.text for child in root if _ns_free(child.tag) == "Code"]
        message = [child.text for child in root if _ns_free(child.tag) == "Message"]
        return ": ".join(part for part in (code[:1] + message[:1]) if part) or "(no error code)"
    except ET.ParseError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return text[:160] or "(empty body)"


class S3Client(object):
    def __init__(self, endpoint, region, access_key, secret_key, address_style="path", ca_pem=None,
                 timeout=60, retries=3, backoff=1.0):
        url = urlparse(endpoint or "")
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValidationError("endpoint must be an http:// or https:// URL, got %r" % endpoint)
        if not access_key or not secret_key:
            raise ValidationError("the S3 credentials are empty")
        if address_style not in ("path", "virtual", "auto"):
            raise ValidationError("address_style must be path, virtual or auto")
        self.scheme, self.host, self.port = url.scheme, url.hostname, url.port
        self.base_path = url.path.rstrip("/")
        self.region = region or "us-east-1"
        self.access_key, self.secret_key = access_key, secret_key
        self.virtual = address_style == "virtual" or (address_style == "auto" and self.host.endswith("amazonaws.com"))
        self.timeout = timeout
        # The collection's one backoff (capped, with jitter): a first attempt plus ``retries`` more.
        self.retry_policy = RetryPolicy(attempts=retries + 1, backoff=backoff)
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()

    # -- addressing ---------------------------------------------------------------------------------
    def _target(self, bucket, key=None):
        """(host header, connection host, encoded path) of a bucket or an object."""
        netloc = self.host if self.port is None else "%s:%d" % (self.host, self.port)
        object_path = "/" + sigv4.uri_encode(key, True) if key is not None else "/"
        if self.virtual:
            return bucket + "." + netloc, bucket + "." + self.host, self.base_path + object_path
        path = self.base_path + "/" + sigv4.uri_encode(bucket, False) + (object_path if key is not None else "")
        return netloc, self.host, path

    def describe(self, bucket, key=None):
        """A URL for messages (no credentials are in it)."""
        host, _conn, path = self._target(bucket, key)
        return "%s://%s%s" % (self.scheme, host, path)

    # -- one signed request, retried ----------------------------------------------------------------
    def _connect(self, conn_host):
        # blocksize: a streamed body is sent in 1 MiB writes, not http.client's default 8 KiB (a TLS record
        # and a system call each); measured in tests/integration/backup_s3/measure_s3_rate.py.
        if self.scheme == "https":
            return http_client.HTTPSConnection(conn_host, self.port, timeout=self.timeout, context=self.context,
                                               blocksize=CHUNK)
        return http_client.HTTPConnection(conn_host, self.port, timeout=self.timeout, blocksize=CHUNK)

    def request(self, method, bucket, key=None, params=None, body=None, payload_sha256=None, size=None,
                accept=(200,), on_response=None):
        """Send one signed request; ``body`` is None, bytes, or a callable returning a fresh file object.

        ``on_response(response)`` reads a successful answer (streaming); otherwise its body is returned.
        Returns (status, result). Raises TlsVerificationError, ApiConnectionError or ApiResponseError.
        """
        host, conn_host, path = self._target(bucket, key)
        query = sigv4.canonical_query(params)
        url = "%s://%s%s%s" % (self.scheme, host, path, "?" + query if query else "")
        if payload_sha256 is None:
            payload_sha256 = hashlib.sha256(body).hexdigest() if isinstance(body, bytes) else sigv4.EMPTY_SHA256
        attempt, started, last = 0, time.time(), None
        while True:
            attempt += 1
            amz_date = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
            headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256}
            if body is not None:
                headers["content-length"] = str(size if size is not None else len(body))
            headers["authorization"] = sigv4.authorization(method, path, params, dict(
                (k, v) for k, v in headers.items()), payload_sha256, self.access_key, self.secret_key,
                self.region, amz_date)
            stream = None
            try:
                conn = self._connect(conn_host)
                try:
                    data = body
                    if callable(body):
                        stream = body()
                        data = stream
                    conn.request(method, path + ("?" + query if query else ""), body=data, headers=headers)
                    response = conn.getresponse()
                    if response.status in accept:
                        result = on_response(response) if on_response else response.read()
                        return response.status, result
                    answer = response.read()
                finally:
                    if stream is not None:
                        stream.close()
                    conn.close()
            except ssl.SSLError as exc:
                if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc, getattr(ssl, "SSLCertVerificationError", ())):
                    raise TlsVerificationError(url, str(exc)) from None
                last = str(exc)
            except (OSError, http_client.HTTPException) as exc:
                last = "%s: %s" % (type(exc).__name__, exc)
            else:
                if response.status not in RETRYABLE_STATUS:
                    raise ApiResponseError(response.status, url, error_code(answer), method=method)
                last = "HTTP %d %s" % (response.status, error_code(answer))
            if attempt >= self.retry_policy.attempts:
                raise ApiConnectionError(url, "%s (after %d attempts in %.1fs)" % (last, attempt, time.time() - started))
            self.retry_policy.wait(attempt)

    # -- the calls ----------------------------------------------------------------------------------
    def list_objects(self, bucket, prefix=""):
        """Every object of the bucket (ListObjectsV2, every page), as {key, size, etag}."""
        objects, token = [], None
        while True:
            params = {"list-type": "2", "max-keys": "1000"}
            if prefix:
                params["prefix"] = prefix
            if token:
                params["continuation-token"] = token
            _status, body = self.request("GET", bucket, params=params)
            page, token = parse_list(body)
            objects.extend(page)
            if not token:
                return objects

    def bucket_exists(self, bucket):
        status, _body = self.request("HEAD", bucket, accept=(200, 404))
        return status == 200

    def create_bucket(self, bucket):
        body = b""
        if self.region != "us-east-1":
            body = ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>" % self.region).encode("utf-8")
        self.request("PUT", bucket, body=body)

    def get_object(self, bucket, key, dest):
        """Stream an object into the file ``dest``; returns (size, sha256 hex)."""
        def save(response):
            digest, size = hashlib.sha256(), 0
            with open(dest, "wb") as out:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        return size, digest.hexdigest()
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        return self.request("GET", bucket, key, on_response=save)[1]

    def get_small_object(self, bucket, key, limit):
        """An object's content in memory, refused when it is larger than ``limit`` bytes."""
        def read(response):
            data = response.read(limit + 1)
            if len(data) > limit:
                raise ValidationError("object %r is larger than %d bytes" % (key, limit))
            return data
        return self.request("GET", bucket, key, on_response=read)[1]

    def object_sha256(self, bucket, key):
        """The SHA-256 of an object's content, read without keeping it."""
        def digest(response):
            hashed = hashlib.sha256()
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    return hashed.hexdigest()
                hashed.update(chunk)
        return self.request("GET", bucket, key, on_response=digest)[1]

    def put_object(self, bucket, key, source, size, sha256):
        """PutObject from ``source``: bytes, or a path streamed from disk (single request, up to 5 GiB)."""
        if isinstance(source, bytes):
            self.request("PUT", bucket, key, body=source, payload_sha256=sha256)
        else:
            self.request("PUT", bucket, key, body=lambda: open(source, "rb"),  # noqa: SIM115 - request() closes it
                          payload_sha256=sha256, size=size)
