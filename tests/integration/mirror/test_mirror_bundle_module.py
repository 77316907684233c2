"""The mirror_bundle module through Ansible (argument wiring, check mode, errors), without network.

The heavy paths (pip, ansible-galaxy, uv) are in test_mirror_bundle.py and test_dify_plugin_offline.py.
"""

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from helpers.paths import REPO
from helpers.playbook import run_tasks

PLUGIN = REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo"


def module_task(**args):
    return {"name": "bundle", "airgap.dify_platform.mirror_bundle": args, "register": "out", "ignore_errors": True}


def test_check_mode_plans_the_plugin_part_and_writes_nothing(tmp_path):
    private, _public = difypkg.generate_key(bits=2048)
    key = tmp_path / "operator.pem"
    key.write_bytes(private)
    store = tmp_path / "store"
    run = run_tasks([module_task(mode="mirror_to_disk", store=str(store), parts=["dify_plugins"], dify_plugins=[str(PLUGIN)],
                                 dify_plugin_signing_key=str(key))], check=True)
    result = run.result("bundle")
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["parts"]["dify_plugins"]["status"] == "would_write"
    assert not store.exists()


def test_a_plugin_the_dsl_needs_and_the_directory_lacks_stops_the_run(tmp_path):
    dsl = tmp_path / "app.yml"
    dsl.write_text("kind: app\ndependencies:\n- type: marketplace\n  value:\n"
                   "    marketplace_plugin_unique_identifier: langgenius/openai:0.2.6@" + "b" * 64 + "\n")
    (tmp_path / "packages").mkdir()
    run = run_tasks([module_task(mode="mirror_to_disk", store=str(tmp_path / "store"), parts=["dify_plugins"],
                                 dify_plugin_dsl_files=[str(dsl)], dify_plugin_dir=str(tmp_path / "packages"))])
    result = run.result("bundle")
    assert result["failed"] is True and result["error"] == "BundleError"
    assert "langgenius/openai:0.2.6@" in result["msg"] and "(app.yml)" in result["msg"]


def test_an_unsigned_plugin_without_a_key_is_refused(tmp_path):
    run = run_tasks([module_task(mode="mirror_to_disk", store=str(tmp_path / "store"), parts=["dify_plugins"],
                                 dify_plugins=[str(PLUGIN)])])
    result = run.result("bundle")
    assert result["failed"] is True and "is not signed" in result["msg"] and "signatures stay on" in result["msg"]
