"""The plugin endpoints' client against the fake console, without Ansible: the shapes and refusals.

Fast checks of what the module's tests through ansible-playbook do not vary: pagination of the
list, the workspace's plugin permission (HTTP 403, werkzeug's Forbidden), and an unknown task.
"""

import io
import zipfile
from pathlib import Path

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify import plugin_api
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_package import PluginPackage
from dify_support import connection

pytest_plugins = ("dify_fixtures",)

PLUGIN = Path(__file__).resolve().parents[2] / "fixtures" / "dify-plugin" / "airgap_echo"


@pytest.fixture(scope="module")
def key():
    return difypkg.generate_key(bits=2048)


def package(key, name):
    text = (PLUGIN / "manifest.yaml").read_text().replace("name: airgap_echo", "name: %s" % name)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(difypkg.pack(str(PLUGIN)))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, text if info.filename == "manifest.yaml" else src.read(info.filename))
    return PluginPackage("/b/%s.difypkg" % name, difypkg.sign(out.getvalue(), key[0]))


def api(dify):
    return plugin_api.PluginApi(DifyClient.from_params(connection(dify)))


def install(client, pkg):
    identifier = client.upload(pkg)["unique_identifier"]
    task = client.install([identifier])["task_id"]
    while client.task(task)["status"] != "success":
        pass
    return identifier


def test_the_list_follows_pages(dify, key, monkeypatch):
    dify.plugins.trust(key[1])
    client = api(dify)
    for index in range(3):
        install(client, package(key, "echo_%d" % index))
    monkeypatch.setattr(plugin_api, "PAGE_SIZE", 2)
    dify.reset_counters()
    listed = client.list_installed()
    assert sorted(p["plugin_id"] for p in listed) == ["airgap/echo_0", "airgap/echo_1", "airgap/echo_2"]
    assert [r.path for r in dify.requests].count("/console/api/workspaces/current/plugin/list") == 2


def test_install_permission_noone_is_a_clear_refusal(dify, key):
    dify.plugins.trust(key[1])
    dify.plugins.install_permission = "noone"
    with pytest.raises(plugin_api.PluginRefusedError, match="plugin permissions do not let this account"):
        api(dify).upload(package(key, "echo_x"))
    assert dify.plugins.uploads == 0


def test_an_unknown_task_is_the_daemons_refusal(dify):
    with pytest.raises(plugin_api.PluginRefusedError, match="record not found"):
        api(dify).task("00000000-0000-0000-0000-000000000000")


def test_a_list_without_total_is_one_page(dify, key, monkeypatch):
    """The console's list before list_with_total answered every plugin at once, without "total"."""
    dify.plugins.trust(key[1])
    client = api(dify)
    for index in range(2):
        install(client, package(key, "echo_%d" % index))
    original = dify.plugins.list

    def unpaged(req):
        status, _body = original(req)
        return status, {"plugins": list(dify.plugins.installations.values())}

    monkeypatch.setattr(plugin_api, "PAGE_SIZE", 1)
    dify.plugins.list = unpaged  # the dispatch table is built per request from the daemon's attributes
    listed = client.list_installed()
    assert len(listed) == 2
