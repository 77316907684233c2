"""Real OCI registries on loopback for the mirror tests and the bench.

* :func:`registry_binary` builds (once, cached) ``distribution/v3 cmd/registry``
  from its published Go module through ``build.sh``, which also installs skopeo.
* :class:`TestCA` makes a CA and a server certificate for 127.0.0.1/localhost
  with ``cryptography`` at test time, kept in a per-run directory.
* :class:`Registry` runs one registry with TLS from that CA and htpasswd (bcrypt)
  auth on a free port, its storage in a given directory (so a warm cache can be
  reused), and JSON logs that the bench reads to count what was transferred.
"""

import datetime
import ipaddress
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import ssl
import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent


def cache_root():
    return Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")


def versions():
    result = {}
    for line in (HERE / "versions.env").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


_TOOLS = {}


def tools():
    """{"registry": path, "crane": path}: built on first use by build.sh, which also installs skopeo."""
    if not _TOOLS:
        v = versions()
        expected = {
            "registry": cache_root() / "tools" / ("distribution-%s" % v["DISTRIBUTION_VERSION"]) / "registry",
            "crane": cache_root() / "tools" / ("crane-%s" % v["CRANE_VERSION"]) / "crane",
        }
        ready = all(p.is_file() and os.access(str(p), os.X_OK) for p in expected.values())
        if not ready or not _have("skopeo") or not _have("htpasswd"):
            out = subprocess.run([str(HERE / "build.sh")], capture_output=True, text=True, timeout=3600, check=False)
            if out.returncode != 0:
                raise RuntimeError("tests/harness/registry/build.sh failed:\n%s\n%s" % (out.stdout[-3000:], out.stderr[-3000:]))
            lines = out.stdout.strip().splitlines()
            expected = {"registry": Path(lines[-2]), "crane": Path(lines[-1])}
        _TOOLS.update(expected)
    return dict(_TOOLS)


def cosign_binary():
    """cosign, built on first use (a few minutes: it is a large module)."""
    path = cache_root() / "tools" / ("cosign-%s" % versions()["COSIGN_VERSION"]) / "cosign"
    if not (path.is_file() and os.access(str(path), os.X_OK)):
        out = subprocess.run([str(HERE / "build.sh"), "--with-cosign"], capture_output=True, text=True, timeout=3600,
                             check=False)
        if out.returncode != 0:
            raise RuntimeError("building cosign failed:\n%s" % out.stderr[-3000:])
    return path


def registry_binary():
    return tools()["registry"]


def crane_binary():
    return tools()["crane"]


def _have(command):
    return any((Path(p) / command).is_file() for p in os.environ.get("PATH", "").split(os.pathsep) if p)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


class TestCA:
    """A throw-away CA, and server certificates it signs for loopback."""

    __test__ = False  # not a pytest class

    def __init__(self, directory, name="airgap mirror test CA"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert_path = self.dir / "ca.crt"
        self.key_path = self.dir / "ca.key"
        if not self.cert_path.exists():
            self._create(name)
        self._key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        self._cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        # skopeo reads CA certificates as *.crt files from a directory.
        self.cert_dir = self.dir / "certs.d"
        self.cert_dir.mkdir(exist_ok=True)
        (self.cert_dir / "ca.crt").write_bytes(self.cert_path.read_bytes())

    def _create(self, name):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        _write_key(self.key_path, key)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def server_cert(self, name, hosts=("127.0.0.1", "localhost")):
        """Write ``<name>.crt``/``<name>.key`` for ``hosts`` and return both paths."""
        cert_path, key_path = self.dir / ("%s.crt" % name), self.dir / ("%s.key" % name)
        if cert_path.exists() and key_path.exists():
            return cert_path, key_path
        key = ec.generate_private_key(ec.SECP256R1())
        sans = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                .issuer_name(self._cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
                .sign(self._key, hashes.SHA256()))
        _write_key(key_path, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path

    def ssl_context(self):
        return ssl.create_default_context(cafile=str(self.cert_path))


class Registry:
    """One distribution registry with TLS and htpasswd auth on 127.0.0.1."""

    def __init__(self, workdir, ca, name="registry", username="mirror", password="mirror-pass-1",  # noqa: S107
                 storage=None, sparse_indexes=False):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca = ca
        self.name = name
        self.username = username
        self.password = password
        self.storage = Path(storage) if storage else self.workdir / ("%s-storage" % name)
        self.sparse_indexes = sparse_indexes
        self.port = None
        self.process = None
        self.log_path = self.workdir / ("%s.log" % name)

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def url(self):
        return "https://%s" % self.host

    def _config(self):
        cert, key = self.ca.server_cert("registry-server")
        htpasswd = self.workdir / ("%s.htpasswd" % self.name)
        out = subprocess.run(["htpasswd", "-Bbn", self.username, self.password], capture_output=True, text=True,
                             check=True, timeout=60)
        htpasswd.write_text(out.stdout)
        config = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "json", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.storage)}, "delete": {"enabled": True},
                        "cache": {"blobdescriptor": "inmemory"}},
            "http": {"addr": "127.0.0.1:%d" % self.port, "relativeurls": True,
                     "tls": {"certificate": str(cert), "key": str(key)},
                     "debug": {"addr": "", "prometheus": {"enabled": False}}},
            "auth": {"htpasswd": {"realm": "airgap-test", "path": str(htpasswd)}},
        }
        if self.sparse_indexes:
            config["validation"] = {"manifests": {"indexes": {"platforms": "none"}}}
        else:
            config.pop("validation", None)
        path = self.workdir / ("%s.yml" % self.name)
        path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        return path

    def start(self, timeout=60):
        binary = registry_binary()
        self.storage.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self._config()
        env = dict(os.environ, OTEL_TRACES_EXPORTER="none", OTEL_SDK_DISABLED="true")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(binary), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        context = self.ca.ssl_context()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("registry exited with %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                self.request("GET", "/v2/", context=context)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("registry not ready after %ss:\n%s" % (timeout, self.log_tail()))

    def request(self, method, path, data=None, headers=None, context=None, auth=True):
        """One authenticated HTTP request; returns (status, headers, body)."""
        headers = dict(headers or {})
        if auth:
            token = base64.b64encode(("%s:%s" % (self.username, self.password)).encode()).decode()
            headers["Authorization"] = "Basic %s" % token
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(req, context=context or self.ca.ssl_context(), timeout=60) as resp:  # noqa: S310
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers or {}), exc.read()

    def log_tail(self, lines=30):
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_offset(self):
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def transfers_since(self, offset):
        """What the registry served and received since ``offset`` in its log.

        Returns ``{"blob_gets": n, "bytes_served": n, "blob_uploads": n, "manifest_puts": n}``
        from distribution's JSON request logs (one line per request, with the
        method, the URI and the bytes written in the response).
        """
        result = {"blob_gets": 0, "bytes_served": 0, "blob_uploads": 0, "manifest_puts": 0, "mounts": 0}
        with open(self.log_path, "rb") as handle:
            handle.seek(offset)
            for raw in handle:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                method = entry.get("http.request.method")
                uri = entry.get("http.request.uri", "")
                status = entry.get("http.response.status")
                if method is None or status is None:
                    continue
                if method == "GET" and "/blobs/sha256:" in uri and status == 200:
                    result["blob_gets"] += 1
                    result["bytes_served"] += int(entry.get("http.response.written") or 0)
                elif method == "PUT" and "/blobs/uploads/" in uri and status == 201:
                    result["blob_uploads"] += 1
                elif method == "POST" and "mount=" in uri and status == 201:
                    result["mounts"] += 1
                elif method == "PUT" and "/manifests/" in uri and status == 201:
                    result["manifest_puts"] += 1
        return result

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None
