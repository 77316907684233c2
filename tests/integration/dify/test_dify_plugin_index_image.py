"""The plugin daemon's in-cluster index, for real: the static-web image serving a published PEP 503 tree.

The image is the one the mirror role's plugin_index runs (release manifest entry static_web, built
from hack/images/static-web; warm builds do nothing). It runs as the plugin index pod runs under
restricted-v2: an arbitrary UID with GID 0, a read-only root, only /tmp writable, the tree mounted
read-only at /srv/www. The tree is what disk_to_mirror publishes (bundle/simple_index.py); the
installer is uv with the plugin daemon's arguments (``uv pip install -i $PIP_MIRROR_URL``,
dify-plugin-daemon internal/core/local_runtime/setup_python_environment.go) and every proxy
pointing at a port that refuses, so nothing but the index can answer.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import simple_index
from helpers.paths import CACHE, REPO

CONTAINERS_CONF = CACHE / "images" / "containers.conf"
ENV = dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))
REFUSED = "http://127.0.0.1:9"
USER = "1000770000:0"  # an OpenShift-style UID from a namespace range


HARNESS = REPO / "tests" / "harness" / "dify_plugin" / "requirements.txt"


def uv():
    """uv at the harness's pin, in the cached venv the offline plugin test also uses (same key)."""
    key = hashlib.sha256(HARNESS.read_bytes()).hexdigest()[:12]
    venv = CACHE / ("venv-uv-%s" % key)
    if not (venv / "bin" / "uv").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(HARNESS)], check=True)
    return str(venv / "bin" / "uv")


def image():
    build = subprocess.run([sys.executable, str(REPO / "hack" / "images" / "build.py"), "build", "static-web"],
                           env=ENV, capture_output=True, text=True, timeout=1800, check=False)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    stamp = json.loads((CACHE / "images" / "stamps" / "static-web.json").read_text())
    return stamp["images"]["static_web"]["local"]


def wheel(directory, name="airgap_index_probe", version="1.0"):
    """A minimal pure-Python wheel (PEP 427), made here."""
    dist = "%s-%s.dist-info" % (name, version)
    files = {
        "%s/__init__.py" % name: b"MESSAGE = 'served by static-web'\n",
        "%s/METADATA" % dist: ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)).encode(),
        "%s/WHEEL" % dist: b"Wheel-Version: 1.0\nGenerator: airgap-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,sha256=%s,%d\n" % (path, base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(),
                                            len(data)) for path, data in files.items())
    files["%s/RECORD" % dist] = (record + "%s/RECORD,,\n" % dist).encode()
    path = directory / ("%s-%s-py3-none-any.whl" % (name, version))
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def request(url, method="GET"):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("published")
    wheels = tmp_path_factory.mktemp("wheels")
    simple_index.write(str(root), [str(wheel(wheels))])
    os.chmod(root, 0o755)  # noqa: S103 - the tree is served to everyone: nginx runs as another UID
    name = "airgap-plugin-index-test-%s" % uuid.uuid4().hex[:6]
    ref = image()
    run = subprocess.run(["podman", "run", "-d", "--name", name, "--user", USER, "--read-only", "--read-only-tmpfs=false",
                          "--cap-drop=ALL", "--security-opt=no-new-privileges", "--tmpfs", "/tmp:rw,mode=1777",
                          "-v", "%s:/srv/www:ro" % root, "-p", "127.0.0.1::8080", ref],
                         env=ENV, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    try:
        port = subprocess.run(["podman", "port", name, "8080/tcp"], env=ENV, capture_output=True, text=True,
                              check=True).stdout.split(":")[-1].strip()
        base = "http://127.0.0.1:%s" % port
        deadline = time.monotonic() + 60
        while request(base + "/healthz")[0] != 200:
            assert time.monotonic() < deadline, subprocess.run(["podman", "logs", name], env=ENV, capture_output=True,
                                                               text=True, check=False).stderr[-2000:]
            time.sleep(1)
        yield base
    finally:
        subprocess.run(["podman", "rm", "-f", name], env=ENV, capture_output=True, check=False)


def test_the_index_is_served_read_only(served):
    status, body = request(served + "/simple/airgap-index-probe/")
    assert status == 200 and b"airgap_index_probe-1.0-py3-none-any.whl#sha256=" in body
    assert request(served + "/simple/", method="HEAD")[0] == 200
    assert request(served + "/simple/", method="POST")[0] == 403
    assert request(served + "/simple/", method="PUT")[0] in (403, 405)


def test_the_daemons_uv_installs_from_it_with_no_other_index(served, tmp_path):
    binary = uv()
    venv = tmp_path / ".venv"
    made = subprocess.run([binary, "venv", str(venv), "--python", sys.executable], capture_output=True, text=True,
                          env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"), check=False)
    assert made.returncode == 0, made.stderr
    env = {"VIRTUAL_ENV": str(venv), "PATH": os.environ["PATH"], "UV_CACHE_DIR": str(tmp_path / ".uv-cache"),
           "HTTP_PROXY": REFUSED, "HTTPS_PROXY": REFUSED, "NO_PROXY": "127.0.0.1"}
    install = subprocess.run([binary, "pip", "install", "--prerelease=allow", "-i", served + "/simple/", "airgap-index-probe"],
                             env=env, capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run([str(venv / "bin" / "python"), "-c", "import airgap_index_probe as m; print(m.MESSAGE)"],
                           capture_output=True, text=True, check=False)
    assert check.stdout.strip() == "served by static-web", check.stderr
