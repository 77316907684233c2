"""A small HTTP proxy in front of Keycloak that records every request and injects faults.

The modules under test talk to the proxy instead of Keycloak. The test arms a
fault, runs a playbook, and reads :attr:`FaultProxy.log` to see what the module
really sent: every request with its method, path, Authorization header and
the status it got back.

Faults:
- :meth:`fail_next`: answer the next N requests (or the next N that carry a
  bearer token, or use a given method) with a status, 503 by default, without
  forwarding them; or, with ``forward=True``, after forwarding them (the
  server did the work, the answer is lost on the way back);
- :meth:`unauthorized`: answer 401 to the next N requests that carry a bearer
  token, as Keycloak does for an expired one;
- :meth:`before_next_authenticated`: run a callback (for example revoking every
  session on the real server) before forwarding the next request with a token.
"""

import http.client
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = frozenset(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                        "trailers", "transfer-encoding", "upgrade", "content-length"])


class Record:
    def __init__(self, method, path, authorization, status, injected):
        self.method = method
        self.path = path
        self.authorization = authorization
        self.status = status
        self.injected = injected

    @property
    def is_token_request(self):
        return self.path.endswith("/protocol/openid-connect/token")

    def __repr__(self):
        return "<%s %s -> %s%s>" % (self.method, self.path, self.status, " (injected)" if self.injected else "")


class FaultProxy:
    def __init__(self, upstream, tls=None):
        """``tls``: (certfile, keyfile) to serve HTTPS instead of HTTP."""
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.log = []
        self._lock = threading.Lock()
        self._fail = None  # [remaining, status, authenticated_only]
        self._before_authenticated = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self._server.server_address[1])

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    # --- arming faults ---------------------------------------------------------

    def reset(self):
        with self._lock:
            self.log = []
            self._fail = None
            self._before_authenticated = None

    def fail_next(self, count, status=503, authenticated_only=False, method=None, forward=False):
        with self._lock:
            self._fail = {"count": count, "status": status, "authenticated_only": authenticated_only,
                          "method": method, "forward": forward}

    def unauthorized(self, count=1):
        self.fail_next(count, 401, authenticated_only=True)

    def before_next_authenticated(self, callback):
        with self._lock:
            self._before_authenticated = callback

    # --- reading what happened -------------------------------------------------

    def requests(self, token=None):
        """Recorded requests; token=False leaves the token requests out, True keeps only them."""
        with self._lock:
            records = list(self.log)
        if token is None:
            return records
        return [r for r in records if r.is_token_request == token]

    # --- the proxy itself -------------------------------------------------------

    def _decide(self, method, authorization):
        """What to do with a request: (status to inject or None, forward first?, callback to run first or None)."""
        with self._lock:
            fail = self._fail
            if fail and fail["count"] > 0 and (authorization or not fail["authenticated_only"]) \
                    and fail["method"] in (None, method):
                fail["count"] -= 1
                return fail["status"], fail["forward"], None
            if authorization and self._before_authenticated is not None:
                callback, self._before_authenticated = self._before_authenticated, None
                return None, False, callback
        return None, False, None

    def _forward(self, method, path, body, headers):
        """Send a request upstream and return (status, headers, body)."""
        headers = dict((k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP)
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _record(self, record):
        with self._lock:
            self.log.append(record)

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                authorization = self.headers.get("Authorization")
                inject, forward, callback = proxy._decide(self.command, authorization)
                if inject is not None and forward:
                    proxy._forward(self.command, self.path, body, self.headers)
                if inject is not None:
                    payload = b'{"error":"injected by the test proxy"}'
                    self.send_response(inject)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    proxy._record(Record(self.command, self.path, authorization, inject, True))
                    return
                if callback is not None:
                    callback()
                status, headers, data = proxy._forward(self.command, self.path, body, self.headers)
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                proxy._record(Record(self.command, self.path, authorization, status, False))

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler


class SilentServer:
    """Accepts TCP connections and never answers: a server that hangs."""

    def __init__(self):
        import socket  # pylint: disable=import-outside-toplevel
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.accepted = 0
        self._conns = []
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        self._sock.settimeout(0.2)
        while not self._stop:
            try:
                conn = self._sock.accept()[0]
            except OSError:
                continue
            self.accepted += 1
            self._conns.append(conn)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._sock.getsockname()[1]

    def close(self):
        self._stop = True
        time.sleep(0.3)
        for conn in self._conns:
            conn.close()
        self._sock.close()


def make_tls_files(directory):
    """A throw-away CA and a certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    import datetime  # pylint: disable=import-outside-toplevel
    import ipaddress  # pylint: disable=import-outside-toplevel

    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keycloak test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [directory / "ca.pem", directory / "cert.pem", directory / "key.pem"]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return [str(p) for p in paths]
