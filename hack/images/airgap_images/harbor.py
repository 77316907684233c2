"""A registry standing in for Harbor: the project's distribution registry, TLS from a test CA, a robot account.

It reuses the mirror tests' harness (tests/harness/registry/registry.py): the
registry built from distribution's Go module, its ``TestCA`` and its
``Registry`` (TLS, htpasswd). Two things differ for kind:

* it listens on ``0.0.0.0:<port>`` (a fixed port, 5443 by default), so the kind
  nodes reach it from the ``kind`` podman network as ``host.containers.internal``,
  the name podman writes into every container's /etc/hosts for the host;
* its certificate names ``host.containers.internal``, ``localhost`` and
  ``127.0.0.1``, and it keeps running after this process exits (its pid in
  ``<cache>/harbor-standin/registry.pid``) until ``down``.

The robot account is Harbor's naming, ``robot$<project>+pull``; its password is
made once with ``secrets`` and kept in ``<cache>/harbor-standin/robot.json``
(mode 0600); it is never printed.
"""

import json
import os
import secrets
import signal
import sys
from pathlib import Path

from .recipe import REPO

sys.path.insert(0, str(REPO / "tests"))

from harness.registry.registry import Registry, TestCA

DEFAULT_PORT = 5443
DEFAULT_PROJECT = "dify-platform"
KIND_HOST = "host.containers.internal"
HOSTS = (KIND_HOST, "localhost", "127.0.0.1")


def robot_name(project):
    """Harbor's name for a project robot account: ``robot$<project>+<name>``."""
    return "robot$%s+pull" % project


class HarborStandin(Registry):
    """The harness registry on a fixed port on every address, its certificate valid for the kind network."""

    def __init__(self, workdir, ca, port, username, password, storage):
        super().__init__(workdir, ca, name="harbor-standin", username=username, password=password, storage=storage)
        self.fixed_port = port

    # Registry.start() picks a free loopback port; the stand-in keeps its fixed one.
    @property
    def port(self):
        return self.fixed_port

    @port.setter
    def port(self, _value):
        return

    def _config(self):
        path = super()._config()
        config = json.loads(path.read_text())
        cert, key = self.ca.server_cert("harbor-standin", hosts=HOSTS)
        config["http"]["addr"] = "0.0.0.0:%d" % self.fixed_port
        config["http"]["tls"] = {"certificate": str(cert), "key": str(key)}
        config["auth"]["htpasswd"]["realm"] = "harbor-standin"
        path.write_text(json.dumps(config, indent=1))
        return path


class Standin:
    def __init__(self, cache, port=DEFAULT_PORT, project=DEFAULT_PROJECT):
        self.dir = Path(cache) / "harbor-standin"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.project = project
        self.ca = TestCA(self.dir / "ca", name="airgap-dify-platform harbor stand-in test CA")
        self.pid_file = self.dir / "registry.pid"

    @property
    def registry_host(self):
        """What the kind nodes (and the inventory) call the registry."""
        return "%s:%d" % (KIND_HOST, self.port)

    @property
    def push_host(self):
        return "127.0.0.1:%d" % self.port

    def robot(self):
        path = self.dir / "robot.json"
        if not path.exists():
            data = {"username": robot_name(self.project), "password": secrets.token_urlsafe(24)}
            fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
        return json.loads(path.read_text())

    def registry(self):
        robot = self.robot()
        return HarborStandin(self.dir, self.ca, self.port, robot["username"], robot["password"], self.dir / "storage")

    def running_pid(self):
        if not self.pid_file.exists():
            return None
        pid = int(self.pid_file.read_text().strip() or 0)
        try:
            cmdline = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
        except OSError:
            return None
        return pid if cmdline and cmdline[0].endswith(b"registry") else None

    def up(self):
        registry = self.registry()
        if self.running_pid():
            status, _headers, _body = registry.request("GET", "/v2/")
            if status == 200:
                return registry
            self.down()
        registry.start()
        self.pid_file.write_text(str(registry.process.pid))
        self.write_auth()
        return registry

    def down(self):
        pid = self.running_pid()
        if pid:
            os.killpg(pid, signal.SIGTERM)
        self.pid_file.unlink(missing_ok=True)
        return pid

    def write_auth(self):
        """A containers-auth.json (podman/skopeo/containerd docker config) for the robot, mode 0600."""
        import base64

        robot = self.robot()
        token = base64.b64encode(("%s:%s" % (robot["username"], robot["password"])).encode()).decode()
        auths = {host: {"auth": token} for host in (self.registry_host, self.push_host)}
        path = self.dir / "auth.json"
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"auths": auths}, handle)
        return path
