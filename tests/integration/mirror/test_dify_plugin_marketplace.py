"""Marketplace plugins the DSL files name, downloaded on the connected side as Dify downloads them.

No network is reachable here, so a loopback server stands in for marketplace.dify.ai. It answers
what Dify asks it (langgenius/dify ``api/core/helper/marketplace.py`` ``get_plugin_pkg_url``;
``api/core/helper/download.py`` ``download_with_size_limit``): a HEAD then a GET on
``/api/v1/plugins/<org>/<name>/<version>/download``, the package bytes with their
Content-Length, 404 for a plugin it does not have. It records each request, so the tests
check the exact path and order.
"""

import http.server
import json
import threading

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg, marketplace
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError
from helpers.paths import REPO
from helpers.playbook import run_tasks

PLUGIN = REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo"
CHECKSUM = "c" * 64
IDENTIFIER = "airgap/airgap_echo:0.0.1@" + CHECKSUM
DOWNLOAD = "/api/v1/plugins/airgap/airgap_echo/0.0.1/download"


class FakeMarketplace:
    """``packages``: {path: bytes}; ``requests``: [(method, path)]."""

    def __init__(self, packages):
        self.packages = dict(packages)
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body_too):
                outer.requests.append((self.command, self.path))
                data = outer.packages.get(self.path)
                if data is None:
                    body = json.dumps({"code": 404, "msg": "plugin not found"}).encode()
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = data
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body_too:
                    self.wfile.write(body)

            def do_HEAD(self):
                self._answer(False)

            def do_GET(self):
                self._answer(True)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]


@pytest.fixture(scope="module")
def signed():
    private, public = difypkg.generate_key(bits=2048)  # stands in for the marketplace's own signature
    return difypkg.sign(difypkg.pack(str(PLUGIN)), private), public


def dsl(path, identifier=IDENTIFIER, kind="marketplace"):
    path.write_text("kind: app\nversion: 0.3.0\ndependencies:\n- current_identifier: null\n  type: %s\n  value:\n"
                    "    marketplace_plugin_unique_identifier: %s\n" % (kind, identifier))
    return str(path)


def bundle_task(**args):
    return {"name": "bundle", "airgap.dify_platform.mirror_bundle": args, "register": "out", "ignore_errors": True}


def test_the_url_is_difys():
    assert marketplace.package_url("https://marketplace.dify.ai/", IDENTIFIER) == (
        "https://marketplace.dify.ai/api/v1/plugins/airgap/airgap_echo/0.0.1/download")
    assert marketplace.package_url("https://m.example", "abc123") == (
        "https://m.example/api/v1/plugins/download?unique_identifier=abc123")


def test_the_role_module_downloads_what_the_dsl_needs_and_bundles_it(signed, tmp_path):
    package, public = signed
    packages = tmp_path / "packages"
    packages.mkdir()
    with FakeMarketplace({DOWNLOAD: package}) as market:
        args = {"mode": "mirror_to_disk", "store": str(tmp_path / "store"), "parts": ["dify_plugins"],
                "dify_plugin_dsl_files": [dsl(tmp_path / "app.yml")], "dify_plugin_dir": str(packages),
                "dify_plugin_marketplace_url": market.url}
        check = run_tasks([bundle_task(**args)], check=True).result("bundle")
        assert check.get("failed") is not True, check
        assert check["parts"]["dify_plugins"]["status"] == "would_write" and market.requests == []
        assert list(packages.iterdir()) == []
        result = run_tasks([bundle_task(**args)]).result("bundle")
        assert result.get("failed") is not True, result
        assert market.requests == [("HEAD", DOWNLOAD), ("GET", DOWNLOAD)]
        assert result["parts"]["dify_plugins"]["status"] == "written"
        kept = packages / "airgap-airgap_echo-0.0.1.difypkg"
        difypkg.verify(kept.read_bytes(), [public])  # the marketplace's signature kept, byte for byte
        assert kept.read_bytes() == package
        assert (tmp_path / "store" / "bundle" / "dify-plugins" / "airgap-airgap_echo-0.0.1.difypkg").read_bytes() == package
        # Rerun: the directory holds it now; nothing is asked of the marketplace.
        again = run_tasks([bundle_task(**args)]).result("bundle")
        assert again["changed"] is False and len(market.requests) == 2


def test_without_a_marketplace_url_a_missing_plugin_still_stops_the_run(tmp_path):
    (tmp_path / "packages").mkdir()
    result = run_tasks([bundle_task(mode="mirror_to_disk", store=str(tmp_path / "store"), parts=["dify_plugins"],
                                    dify_plugin_dsl_files=[dsl(tmp_path / "app.yml")],
                                    dify_plugin_dir=str(tmp_path / "packages"))]).result("bundle")
    assert result["failed"] is True and IDENTIFIER in result["msg"]


def test_what_the_marketplace_lacks_or_serves_wrong_is_refused(signed, tmp_path):
    package, _public = signed
    unsigned = difypkg.pack(str(PLUGIN))
    with FakeMarketplace({DOWNLOAD: package}) as market:
        with pytest.raises(BundleError, match=r"file not found on the marketplace .*/api/v1/plugins/airgap/other/1.0.0/download"):
            marketplace.download(market.url, "airgap/other:1.0.0@" + CHECKSUM, str(tmp_path))
        # Larger than the limit: refused on the HEAD's Content-Length, before any GET.
        market.requests[:] = []
        with pytest.raises(BundleError, match="larger than 1000 bytes"):
            marketplace.download(market.url, IDENTIFIER, str(tmp_path), limit=1000)
        assert market.requests == [("HEAD", DOWNLOAD)]
        # Another plugin under the asked path, or an unsigned one.
        market.packages["/api/v1/plugins/airgap/airgap_echo/0.0.2/download"] = package
        with pytest.raises(BundleError, match=r"served airgap/airgap_echo:0\.0\.1"):
            marketplace.download(market.url, "airgap/airgap_echo:0.0.2@" + CHECKSUM, str(tmp_path))
        market.packages[DOWNLOAD] = unsigned
        with pytest.raises(BundleError, match="unsigned package"):
            marketplace.download(market.url, IDENTIFIER, str(tmp_path))
    assert list(tmp_path.iterdir()) == []
