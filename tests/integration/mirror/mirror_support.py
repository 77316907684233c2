"""The mirror lab: real registries on loopback, the fake Harbor, test images, and helpers.

Test modules import the ``lab`` fixture from here (not a conftest.py: a second module
named ``conftest`` would shadow tests/conftest.py). One lab per pytest process:

* a test CA (made at test time) and three ``distribution`` registries with TLS and
  htpasswd: ``source`` (the upstream, holding the small test images under ``src/``),
  ``plain`` (a destination without Harbor), and the registry behind the fake Harbor;
* the fake Harbor (tests/fakes/harbor) in front of that last registry;
* crane and skopeo (tests/harness/registry/build.sh builds or installs them).
"""

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from fakes.harbor.server import FakeHarbor
from harness.registry.images import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Pusher, small_set
from harness.registry.registry import Registry, TestCA, tools
from helpers.playbook import run_tasks

from helpers.paths import COLLECTIONS_ROOT

HARBOR_ADMIN_PASSWORD = "Harbor12345"
PUSH_SECRET = "Push-Secret-2024"
PULL_SECRET = "Pull-Secret-2024"
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
CLI_MODULE = "ansible_collections.airgap.dify_platform.plugins.module_utils.release.cli"


class Lab:
    def __init__(self, root):
        self.root = Path(root)
        self.ca = TestCA(self.root / "ca")
        paths = tools()
        self.crane = str(paths["crane"])
        self.source = Registry(self.root / "source", self.ca, name="source").start()
        self.plain = Registry(self.root / "plain", self.ca, name="plain").start()
        self.sparse = Registry(self.root / "sparse", self.ca, name="sparse", sparse_indexes=True).start()
        self.backend = Registry(self.root / "backend", self.ca, name="backend").start()
        cert, key = self.ca.server_cert("harbor", hosts=("127.0.0.1", "localhost"))
        self.harbor = FakeHarbor(self.backend.url, self.backend.username, self.backend.password, self.ca.cert_path,
                                 cert, key, admin_password=HARBOR_ADMIN_PASSWORD).start()
        self.artifacts = small_set()
        pusher = Pusher(self.source)
        self.digests = {}
        for name, artifact in sorted(self.artifacts.items()):
            self.digests[name] = pusher.push("src/%s" % name, artifact, tag="v1")
        self._counter = 0
        self._lock = threading.Lock()

    def stop(self):
        self.harbor.stop()
        for registry in (self.source, self.plain, self.sparse, self.backend):
            registry.stop()

    # -- helpers -----------------------------------------------------------------------------
    def unique(self, prefix):
        with self._lock:
            self._counter += 1
            return "%s%d" % (prefix, self._counter)

    def workdir(self, name):
        path = Path(tempfile.mkdtemp(prefix=name + "-", dir=str(self.root)))
        return path

    def manifest(self, path, names=None, registry=None, release="1.0.0", extra=None, repo_prefix="src"):
        """Write a release manifest of the test images (all, or ``names``) and return its path."""
        registry = registry or self.source.host
        images = {}
        for name in names or sorted(self.digests):
            images[name] = {"repository": "%s/%s/%s" % (registry, repo_prefix, name), "version": "1",
                            "digest": self.digests[name], "source": "test"}
        for name, entry in (extra or {}).items():
            images[name] = entry
        Path(path).write_text(yaml.safe_dump({"schema": 1, "release": release, "images": images}, sort_keys=False))
        return str(path)

    def source_credentials(self, registry=None):
        registry = registry or self.source
        return [{"registry": registry.host, "username": registry.username, "password": registry.password}]

    def manifest_digest(self, registry, repo, digest):
        """sha256 of what ``registry`` serves for ``repo@digest`` (None when absent)."""
        status, _headers, body = registry.request("GET", "/v2/%s/manifests/%s" % (repo, digest), headers={"Accept": ACCEPT})
        if status != 200:
            return None
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def harbor_project(self, name):
        with self.harbor.harbor.lock:
            if name not in self.harbor.harbor.projects:
                self.harbor.harbor.create_project({"kind": "user", "name": "admin", "admin": True}, {"project_name": name})

    # -- running -----------------------------------------------------------------------------
    def role_vars(self, mode, directory, manifest_path, **overrides):
        values = {
            "mirror_mode": mode,
            "mirror_dir": str(directory),
            "mirror_manifest_path": manifest_path,
            "mirror_crane_path": self.crane,
            "mirror_install_packages": False,
            "mirror_build_crane": False,
            "mirror_source_credentials": self.source_credentials(),
            "mirror_source_ca_path": str(self.ca.cert_path),
            "mirror_archive_size": "1M",
            "mirror_progress_interval": 2,
            "mirror_registry": self.harbor.host,
            "mirror_harbor_url": self.harbor.url,
            "mirror_harbor_password": HARBOR_ADMIN_PASSWORD,
            "mirror_push_robot_secret": PUSH_SECRET,
            "mirror_ca_path": str(self.ca.cert_path),
            "mirror_python": sys.executable,
            "mirror_harbor_retries": 0,
            # The bundle (collections, wheels) has its own test, test_mirror_bundle.py.
            "mirror_bundle_parts": [],
        }
        values.update(overrides)
        return values

    def run_role(self, mode, directory, manifest_path, check=False, tasks_from=None, **overrides):
        include = {"name": "airgap.dify_platform.mirror"}
        if tasks_from:
            include["tasks_from"] = tasks_from
        task = {"name": "mirror", "ansible.builtin.include_role": include,
                "vars": self.role_vars(mode, directory, manifest_path, **overrides)}
        show = {"name": "mirror result", "ansible.builtin.debug": {"var": "mirror_result"}}
        return run_tasks([task, show], check=check)

    def run_cli(self, params, wait=True):
        """Run the engine command as the role does (JSON on stdin); return (rc, answer) or the Popen."""
        env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_ROOT))
        proc = subprocess.Popen([sys.executable, "-m", CLI_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                stderr=subprocess.PIPE, env=env)
        proc.stdin.write(json.dumps(params).encode())
        proc.stdin.close()
        if not wait:
            return proc
        out = proc.stdout.read()
        err = proc.stderr.read()
        proc.wait(timeout=600)
        try:
            return proc.returncode, json.loads(out.decode())
        except ValueError:
            raise AssertionError("the engine printed no JSON (rc %s): %s %s" % (proc.returncode, out[-2000:], err[-2000:])) from None

    def cli_params(self, mode, directory, manifest_path=None, **overrides):
        params = {"mode": mode, "directory": str(directory), "crane_path": self.crane,
                  "source_credentials": self.source_credentials(), "source_ca_path": str(self.ca.cert_path),
                  "dest_ca_path": str(self.ca.cert_path)}
        if manifest_path:
            params["manifest"] = yaml.safe_load(Path(manifest_path).read_text())
        params.update(overrides)
        return params


def result_of(run, name_suffix):
    """The result of the last task whose name ends with ``name_suffix``."""
    found = [r for r in run.results if r["_task"].endswith(name_suffix)]
    assert found, "no task ending with %r; tasks: %s\n%s" % (name_suffix, [r["_task"] for r in run.results], run.stderr[-3000:])
    return found[-1]


def engine_answer(run):
    """The engine's answer in a successful role run: the role's ``mirror_result`` fact."""
    for result in run.results:
        if result["_task"] == "mirror result" and isinstance(result.get("mirror_result"), dict):
            return result["mirror_result"]
    raise AssertionError("no engine answer in the run: %s\n%s\n%s" % (
        failure_message(run), [r["_task"] for r in run.results], run.stderr[-3000:]))


def failure_message(run):
    """The message of the last failed task (and of its failed loop items)."""
    failed = [r for r in run.results if r.get("failed")]
    if not failed:
        return ""
    last = failed[-1]
    items = [i.get("msg", "") for i in last.get("results", []) if isinstance(i, dict) and i.get("failed")]
    return " | ".join([last.get("msg", ""), *items])


_LAB = None
_LAB_LOCK = threading.Lock()


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """The one lab of this pytest process; stopped at the end of the session (and at exit, whatever happens)."""
    global _LAB  # pylint: disable=global-statement
    with _LAB_LOCK:
        if _LAB is None:
            _LAB = Lab(tmp_path_factory.mktemp("mirror-lab"))
            atexit.register(_LAB.stop)
    yield _LAB
    _LAB.stop()


def wait_for(predicate, timeout=60, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def copytree(src, dst):
    shutil.copytree(str(src), str(dst), symlinks=True)
