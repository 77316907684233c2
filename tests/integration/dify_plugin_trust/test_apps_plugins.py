"""dify_apps installs the plugins the apps need before it imports any DSL file (issue 20 item 4).

Run as users run it: the dify_apps_import playbook by FQCN, against the fake Dify console
and its plugin daemon (tests/fakes/dify_console/, which refuses what the daemon refuses:
unsigned packages, keys it does not trust). The plugins come from the DSL files'
`dependencies` (Dify's PluginDependency), matched to the bundle's package names in a
directory, as after disk_to_mirror. Idempotence and check mode are counted on the server's
side: write requests, uploads, install requests.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dify"))

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_package import PluginPackage
from dify_support import CHAT_DSL, role_vars, run_playbook

pytest_plugins = ("dify_fixtures",)  # the dify fixture

ROLE = "airgap.dify_platform.dify_apps : "
PLUGIN = Path(__file__).resolve().parents[2] / "fixtures" / "dify-plugin" / "airgap_echo"


@pytest.fixture(scope="module")
def operator_key():
    return difypkg.generate_key(bits=2048)


def signed_package(directory, key, name="airgap_echo"):
    """The fixture plugin renamed ``name``, signed with ``key``, under the bundle's file name."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(difypkg.pack(str(PLUGIN)))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "manifest.yaml":
                data = data.replace(b"name: airgap_echo", b"name: " + name.encode())
            dst.writestr(info.filename, data)
    data = difypkg.sign(out.getvalue(), key)
    path = Path(directory) / difypkg.package_name(data)
    path.write_bytes(data)
    return path


def dsl_needing(identifiers):
    """CHAT_DSL with `dependencies` naming ``identifiers``, the way Dify exports them."""
    lines = ["dependencies:"]
    for identifier in identifiers:
        lines += ["- current_identifier: null", "  type: package",
                  "  value:", "    plugin_unique_identifier: %s" % identifier]
    return CHAT_DSL + "\n".join(lines) + "\n"


def layout(tmp_path, operator_key, needed_extra=()):
    plugins, apps = tmp_path / "dify-plugins", tmp_path / "apps"
    plugins.mkdir()
    apps.mkdir()
    echo = signed_package(plugins, operator_key[0])
    signed_package(plugins, operator_key[0], name="not_needed")  # in the directory, named by no DSL
    identifier = PluginPackage(str(echo), echo.read_bytes()).unique_identifier
    (apps / "faq-chat.yml").write_text(dsl_needing([identifier, *needed_extra]))
    pub = tmp_path / "operator.pub"
    pub.write_bytes(operator_key[1])
    return plugins, apps, pub


def test_the_plugins_the_dsl_files_need_are_installed_first_then_nothing_to_do(dify, operator_key, tmp_path):
    dify.plugins.trust(operator_key[1])
    plugins, apps, pub = layout(tmp_path, operator_key)
    extra = {"dify_apps_plugin_dir": str(plugins), "dify_apps_plugin_verify_keys": [str(pub)]}

    checked = run_playbook("dify_apps_import", role_vars(dify, apps, **extra), check=True)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr
    assert checked.stats["changed"] >= 1
    assert dify.write_requests() == [] and dify.plugins.uploads == 0 and dify.plugins.installations == {}

    first = run_playbook("dify_apps_import", role_vars(dify, apps, **extra))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert sorted(dify.plugins.installations) == ["airgap/airgap_echo"]  # not the package no DSL names
    assert [a.name for a in dify.service.apps.values()] == ["faq-chat"]
    writes = [r.path for r in dify.write_requests()]
    install = next(i for i, path in enumerate(writes) if path.endswith("/plugin/install/pkg"))
    imported = next(i for i, path in enumerate(writes) if path.endswith("/apps/imports"))
    assert install < imported, writes
    report = first.result(ROLE + "Report the plugins")["msg"]
    assert report.startswith("1 plugin package(s):") and '"install": 1' in report

    dify.reset_counters()
    again = run_playbook("dify_apps_import", role_vars(dify, apps, **extra))
    assert again.returncode == 0 and again.stats["changed"] == 0, again.stats
    assert dify.write_requests() == [] and (dify.plugins.uploads, dify.plugins.install_requests) == (1, 1)


def test_a_plugin_missing_from_the_directory_stops_the_run_before_any_change(dify, operator_key, tmp_path):
    dify.plugins.trust(operator_key[1])
    plugins, apps, _pub = layout(tmp_path, operator_key, needed_extra=["langgenius/openai:0.0.26@" + "e" * 64])
    out = run_playbook("dify_apps_import", role_vars(dify, apps, dify_apps_plugin_dir=str(plugins)))
    assert out.returncode != 0
    failed = out.result(ROLE + "Check that every plugin the DSL files need has its package")
    assert failed["failed"] and "holds no package for langgenius-openai-0.0.26.difypkg" in failed["msg"]
    assert "airgap-airgap_echo" not in failed["msg"]
    assert dify.write_requests() == [] and dify.service.apps == {} and dify.plugins.installations == {}


def test_listed_packages_install_without_dsl_dependencies_and_an_untrusted_key_is_refused(dify, operator_key, tmp_path):
    # The daemon trusts no third-party key: the operator's package is refused, and no app is imported.
    plugins, apps, _pub = layout(tmp_path, operator_key)
    package = str(plugins / "airgap-not_needed-0.0.1.difypkg")
    out = run_playbook("dify_apps_import", role_vars(dify, apps, dify_apps_plugin_packages=[package]))
    assert out.returncode != 0
    refused = out.result(ROLE + "Install the plugins the apps need, before any import")
    assert "bad signature" in refused["msg"] and "THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS" in refused["msg"]
    assert dify.service.apps == {} and dify.plugins.installations == {}
