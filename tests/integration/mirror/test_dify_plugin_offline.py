"""A Dify plugin across the air gap, installed the way the plugin daemon installs it, with no public index.

The plugin (tests/fixtures/dify-plugin/airgap_echo, made with Dify's plugin SDK from PyPI,
``dify_plugin``; its requirements include compiled wheels: orjson, and the SDK's gevent and
pydantic-core) is packed as a .difypkg and signed with our key in the daemon's format
(plugins/module_utils/bundle/difypkg.py, which cites the daemon's files). The bundle's dify_plugins
part signs it and downloads its wheels for the daemon's Python (3.12, x86_64 glibc); it goes
through the engine's archive parts; on the other side the bundle is taken from the parts and
published as a PEP 503 index, served by a read-only web server on loopback. Then the daemon's own steps, from
dify-plugin-daemon internal/core/local_runtime/setup_python_environment.go:

* ``uv venv .venv --python 3.12`` (createVirtualEnvironment);
* ``uv pip install --prerelease=allow -i $PIP_MIRROR_URL -r requirements.txt $PIP_EXTRA_ARGS``
  (preparePipArgs; PIP_EXTRA_ARGS is the dify role's default, --native-tls), with the
  environment the daemon gives uv (buildUVCommandEnv: VIRTUAL_ENV, PATH, UV_CACHE_DIR) plus its
  proxy variables, here pointing at a port that refuses: pypi.org is unreachable;
* ``python -c "import dify_plugin"`` (preCompile), and the plugin's own modules.

Signature checks use the daemon's algorithm: a tampered package and an unsigned one are refused.
"""

import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from functools import partial

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.collect import Collector
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.install import Installer
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError
from helpers.paths import CACHE, REPO

PLUGIN = REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo"
HARNESS = REPO / "tests" / "harness" / "dify_plugin" / "requirements.txt"
REFUSED = "http://127.0.0.1:9"
# The daemon image's Python 3.12 on Ubuntu 24.04 (docker/local.dockerfile): glibc 2.39, x86_64.
PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"]


def uv():
    key = hashlib.sha256(HARNESS.read_bytes()).hexdigest()[:12]
    venv = CACHE / ("venv-uv-%s" % key)
    if not (venv / "bin" / "uv").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(HARNESS)], check=True)
    return str(venv / "bin" / "uv")


def python312():
    for candidate in (shutil.which("python3.12"), "/root/.pyenv/versions/3.12.1/bin/python3.12", "/usr/bin/python3.12"):
        if candidate and os.path.exists(candidate):
            real = subprocess.run([candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, check=False)
            if real.returncode == 0:
                return real.stdout.decode().strip()
    pytest.fail("the plugin daemon's Python (3.12) is needed: hack/ensure-packages.sh or pyenv install 3.12")
    return None


class ReadOnlyIndex:
    """A static PEP 503 tree on loopback, GET and HEAD only."""

    def __init__(self, root):
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *args: None
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return "http://127.0.0.1:%d/simple/" % self.server.server_address[1]

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    keys = tmp_path_factory.mktemp("keys")
    private, public = difypkg.generate_key(bits=2048)  # the daemon's CLI makes 4096-bit keys; any size verifies
    (keys / "operator.pem").write_bytes(private)
    (keys / "operator.pub").write_bytes(public)
    package = difypkg.sign(difypkg.pack(str(PLUGIN)), private)
    return {"package": package, "public": public, "private": private, "key_path": str(keys / "operator.pem")}


def test_signature_in_the_daemons_format(signed):
    package = signed["package"]
    difypkg.verify(package, [signed["public"]])
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert names[-1] == difypkg.VERIFICATION_FILE and "manifest.yaml" in names
    assert names[:-1] == sorted(names[:-1]), "files in path order, as the daemon's packager writes them"
    _other_private, other_public = difypkg.generate_key(bits=2048)
    with pytest.raises(BundleError, match="does not verify"):
        difypkg.verify(package, [other_public])


def rewrite(package, change):
    """The package with ``change(name, data) -> data`` applied, its zip comment (signature) kept."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, change(info.filename, source.read(info.filename)))
        archive.comment = source.comment
    return out.getvalue()


def test_tampered_and_unsigned_packages_are_refused(signed):
    tampered = rewrite(signed["package"], lambda name, data: data.replace(b"echo", b"ecHo") if name == "tools/echo.py" else data)
    with pytest.raises(BundleError, match="does not verify"):
        difypkg.verify(tampered, [signed["public"]])
    category = rewrite(signed["package"], lambda name, data: b'{"authorized_category":"langgenius"}'
                       if name == difypkg.VERIFICATION_FILE else data)
    with pytest.raises(BundleError, match="does not verify"):
        difypkg.verify(category, [signed["public"]])
    with pytest.raises(BundleError, match="not signed"):
        difypkg.verify(difypkg.pack(str(PLUGIN)), [signed["public"]])


def test_install_from_the_bundle_with_the_daemons_uv_and_no_public_index(signed, tmp_path):
    """Connected side: the bundle's dify_plugins part (sign, wheels); media: the engine's archive parts;
    bastion: the bundle taken from the parts and published as a PEP 503 index; then the daemon's uv."""
    store = tmp_path / "connected" / "store"
    store.mkdir(parents=True)
    (store / "inventory.json").write_text("{}")  # the archive parts are keyed by the image inventory
    params = {"store": str(store), "parts": ["dify_plugins"], "dify_plugins": [str(PLUGIN)],
              "dify_plugin_signing_key": signed["key_path"], "dify_plugin_python_versions": ["3.12"],
              "dify_plugin_platforms": PLATFORMS, "python": sys.executable, "pip_extra_args": []}
    began = time.time()
    made = Collector(params).run()
    bundle_seconds = time.time() - began
    assert made["changed"] is True and made["parts"]["dify_plugins"]["status"] == "written"
    index = json.loads((store / "bundle" / "index.json").read_text())
    assert index["parts"]["dify_plugins"]["signed_here"] == ["airgap_echo"]
    assert any(r.startswith("plugin-wheels/orjson-") and "cp312" in r for r in index["files"]), "a compiled wheel"
    again = Collector(params).run()
    assert again["changed"] is False and again["parts"]["dify_plugins"]["status"] == "unchanged"

    media = tmp_path / "media"
    archive.pack(str(store), str(media), "mirror-test", 4 << 20)
    publish = tmp_path / "pypi"
    taken = Installer({"store": str(tmp_path / "bastion" / "store"), "archive_dir": str(media), "publish_dir": str(publish)}).run()
    assert taken["parts"]["take"]["status"] == "extracted" and taken["parts"]["publish"]["status"] == "published"
    package = (publish / "dify-plugins" / "airgap-airgap_echo-0.0.1.difypkg").read_bytes()
    difypkg.verify(package, [signed["public"]])  # the daemon verifies before it extracts
    wheel_count = taken["parts"]["publish"]["wheels"]
    size = sum(f["size"] for r, f in index["files"].items() if r.startswith("plugin-wheels/"))

    workdir = tmp_path / "plugin"  # the daemon extracts the package into the plugin's working path
    zipfile.ZipFile(io.BytesIO(package)).extractall(str(workdir))
    binary = uv()
    py312 = python312()
    path = os.pathsep.join([os.path.dirname(py312), os.environ.get("PATH", "")])
    venv_env = dict(os.environ, PATH=path, UV_PYTHON_DOWNLOADS="never", HTTP_PROXY=REFUSED, HTTPS_PROXY=REFUSED)
    made = subprocess.run([binary, "venv", ".venv", "--python", "3.12"], cwd=str(workdir), env=venv_env,
                          capture_output=True, check=False)
    assert made.returncode == 0, made.stderr.decode()[-2000:]

    with ReadOnlyIndex(publish / "python") as index_url:
        # buildUVCommandEnv, plus the proxy variables the daemon adds when they are configured.
        env = {"VIRTUAL_ENV": str(workdir / ".venv"), "PATH": path, "UV_CACHE_DIR": str(tmp_path / ".uv-cache"),
               "HTTP_PROXY": REFUSED, "HTTPS_PROXY": REFUSED, "NO_PROXY": "127.0.0.1"}
        began = time.time()
        install = subprocess.run([binary, "pip", "install", "--prerelease=allow", "-i", index_url, "-r", "requirements.txt",
                                  "--native-tls"], cwd=str(workdir), env=env, capture_output=True, check=False)
        install_seconds = time.time() - began
    assert install.returncode == 0, (install.stdout + install.stderr).decode()[-3000:]

    python = str(workdir / ".venv" / "bin" / "python")
    check = subprocess.run([python, "-c", "import dify_plugin, orjson; from tools.echo import render, EchoTool; "
                            "from provider.airgap_echo import AirgapEchoProvider; print(render('air gap'))"],
                           cwd=str(workdir), capture_output=True, check=False, env={"PATH": path})
    assert check.returncode == 0, check.stderr.decode()[-3000:]
    assert check.stdout.decode().strip() == '{"echo":"air gap"}'
    print("\nplugin bundle part: %d wheels, %.1f MiB, made in %.1fs; uv pip install from the published index in %.1fs"
          % (wheel_count, size / 1048576.0, bundle_seconds, install_seconds))


def test_a_lock_only_plugin_is_refused_before_it_reaches_the_gap(tmp_path):
    shutil.copytree(str(PLUGIN), str(tmp_path / "p"))
    (tmp_path / "p" / "requirements.txt").unlink()
    (tmp_path / "p" / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '0'\n")
    (tmp_path / "p" / "uv.lock").write_text("version = 1\n")
    with pytest.raises(BundleError, match=r"only pyproject\.toml/uv\.lock"):
        difypkg.requirements(difypkg.pack(str(tmp_path / "p")))
