"""A real S3 endpoint for the tests: SeaweedFS (`weed server -s3`) on loopback, with TLS from a test CA.

The `weed` binary is built from SeaweedFS's Go module by hack/tools/seaweedfs.sh (into the cache). The
server runs master, volume, filer and the S3 gateway in one process, every port on 127.0.0.1 and chosen
free, the S3 gateway serving HTTPS only (``-s3.cert.file``/``-s3.key.file`` with no ``-s3.port.https``:
weed/command/s3.go serves TLS on ``-s3.port``), with one admin identity from ``-s3.config``
(weed/command/s3.go, the identities file of ``weed s3``).
"""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from helpers.paths import CACHE, REPO


def weed_binary():
    """The path of `weed`, built (or found built) by hack/tools/seaweedfs.sh; raises when it cannot be."""
    proc = subprocess.run([str(REPO / "hack" / "tools" / "seaweedfs.sh")], capture_output=True, text=True,
                          timeout=3600, check=False, env=dict(os.environ, AIRGAP_CACHE=str(CACHE)))
    if proc.returncode != 0:
        raise RuntimeError("hack/tools/seaweedfs.sh failed:\n" + proc.stderr[-3000:])
    return proc.stdout.strip().splitlines()[-1]


def free_port():
    """A free loopback port whose +10000 twin (weed's default gRPC offset) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 < 65535:
            try:
                with socket.socket() as twin:
                    twin.bind(("127.0.0.1", port + 10000))
                return port
            except OSError:
                continue


class SeaweedS3:
    """`weed server -s3` with TLS; ``endpoint`` is its https URL, ``access_key``/``secret_key`` its admin."""

    def __init__(self, workdir, ca, weed=None):
        self.workdir = Path(workdir)
        self.ca = ca
        self.weed = weed or weed_binary()
        self.access_key = "drill" + secrets.token_hex(6)
        self.secret_key = secrets.token_urlsafe(24)
        self.port = None
        self.process = None

    @property
    def endpoint(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self, timeout=120):
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        cert, key = self.ca.server_cert("seaweedfs-s3")
        config = self.workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "admin", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
        config.chmod(0o600)
        self.port = free_port()
        ports = [free_port() for _port in range(3)]
        args = [self.weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=%s" % data,
                "-master.port=%d" % ports[0], "-volume.port=%d" % ports[1], "-filer.port=%d" % ports[2],
                "-master.telemetry=false", "-volume.max=100", "-master.volumeSizeLimitMB=1024",
                "-s3", "-s3.port=%d" % self.port, "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-s3.cert.file=%s" % cert, "-s3.key.file=%s" % key, "-s3.config=%s" % config]
        self.log = open(self.workdir / "weed.log", "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(self.workdir))
        deadline = time.monotonic() + timeout
        context = self.ca.ssl_context()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("weed exited %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.endpoint + "/healthz", context=context, timeout=5):  # noqa: S310
                    return self
            except OSError:
                time.sleep(1)
        raise RuntimeError("SeaweedFS S3 did not answer on %s in %ds:\n%s" % (self.endpoint, timeout, self.log_tail()))

    def log_tail(self, lines=40):
        path = self.workdir / "weed.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self.process:
            self.log.close()
        self.process = None


@contextlib.contextmanager
def tls_store(workdir, ca_name):
    """A started SeaweedS3 in WORKDIR/s3 whose certificate a new test CA (WORKDIR/ca, named CA_NAME) signed;
    stopped when the block ends."""
    from harness.registry.registry import TestCA

    s3 = SeaweedS3(Path(workdir) / "s3", TestCA(Path(workdir) / "ca", name=ca_name)).start()
    try:
        yield s3
    finally:
        s3.stop()
