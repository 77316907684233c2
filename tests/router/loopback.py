"""Run the test router (real nginx from Debian) on loopback, and talk to it as a browser would.

Used by the router's own tests: each Route's Service is mapped to a backend on
127.0.0.1, so that host, path, target port, TLS and timeouts are checked
against real nginx without a cluster.
"""

from __future__ import annotations

import http.client
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from harness.registry.registry import free_port
from router.nginx_routes import render


def nginx_binary():
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).exists():
        raise RuntimeError("nginx not found: install Debian's nginx-light (hack/ensure-packages.sh nginx=nginx-light)")
    return path


class LoopbackRouter:
    """nginx serving ``routes`` on two free loopback ports, with certificates from ``ca``."""

    def __init__(self, workdir, ca, routes, services, service_ca_file=None, address="127.0.0.1",
                 https_port=None, http_port=None, upstreams=None):
        """``upstreams`` maps (namespace, Service name) to the loopback host of its backend (127.0.0.1 if absent)."""
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.address = address
        self.https_port, self.http_port = https_port or free_port(), http_port or free_port()
        upstreams = upstreams or {}
        hosts = sorted({route["spec"]["host"] for route in routes})
        for name in ["default", *hosts]:
            cert, key = ca.server_cert(name, hosts=(name if name != "default" else "router.invalid",))
            shutil.copy(cert, self.dir / ("%s.crt" % name))
            shutil.copy(key, self.dir / ("%s.key" % name))
        conf, files = render(routes, services, resolver="127.0.0.1", cert_dir=str(self.dir), config_dir=str(self.dir),
                             service_ca_file=service_ca_file, https_port=self.https_port, http_port=self.http_port,
                             address=lambda namespace, name: upstreams.get((namespace, name), "127.0.0.1"),
                             state_dir=str(self.dir), listen_address=address)
        for name, content in files.items():
            (self.dir / name).write_text(content)
        self.conf = self.dir / "nginx.conf"
        self.conf.write_text(conf)
        self.process = None

    def check(self):
        """``nginx -t`` on the generated configuration: (ok, output)."""
        out = subprocess.run([nginx_binary(), "-t", "-c", str(self.conf), "-e", "stderr"],
                             capture_output=True, text=True, check=False)
        return out.returncode == 0, out.stderr

    def __enter__(self):
        ok, output = self.check()
        if not ok:
            raise RuntimeError("nginx refused the generated configuration:\n%s" % output)
        self.process = subprocess.Popen([nginx_binary(), "-c", str(self.conf), "-e", "stderr", "-g", "daemon off;"],
                                        stdout=open(self.dir / "access.log", "wb"), stderr=open(self.dir / "error.log", "wb"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.address, self.https_port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen: %s" % (self.dir / "error.log").read_text()[-2000:])

    def __exit__(self, *exc):
        if self.process:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def get(self, host, path, tls=True, cafile=None, timeout=30):
        """(status, headers, body) of GET ``path`` on ``host``, resolved to this router like a host-resolver rule."""
        if tls:
            context = ssl.create_default_context(cafile=cafile)
            conn = _SNIConnection(host, self.address, self.https_port, context=context, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(self.address, self.http_port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


class _SNIConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with the SNI and certificate check of ``host``."""

    def __init__(self, host, address, port, context, timeout):
        super().__init__(address, port, context=context, timeout=timeout)
        self._sni = host

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)
