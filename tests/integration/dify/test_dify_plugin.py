"""dify_plugin against the fake console and its plugin daemon, run as users run it: tasks in ansible-playbook.

The fake refuses what the daemon refuses (FORCE_VERIFYING_SIGNATURE on, third-party keys only
when trusted), moves install tasks through pending and running, and counts uploads and install
requests, so that idempotence and "sent once" are checked on the server's side.
"""

import io
import zipfile
from pathlib import Path

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from dify_support import run, task

pytest_plugins = ("dify_fixtures",)  # the dify fixture

PLUGIN = Path(__file__).resolve().parents[2] / "fixtures" / "dify-plugin" / "airgap_echo"


@pytest.fixture(scope="module")
def operator_key():
    return difypkg.generate_key(bits=2048)


def package(directory, key, version="0.0.1", name="airgap_echo"):
    """The fixture plugin at ``version``, signed with ``key`` (None: unsigned), written to ``directory``."""
    text = (PLUGIN / "manifest.yaml").read_text().replace("version: 0.0.1", "version: %s" % version)
    text = text.replace("name: airgap_echo", "name: %s" % name)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(difypkg.pack(str(PLUGIN)))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, text if info.filename == "manifest.yaml" else src.read(info.filename))
    data = difypkg.sign(out.getvalue(), key) if key else out.getvalue()
    path = Path(directory) / ("airgap-%s-%s.difypkg" % (name, version))
    path.write_bytes(data)
    return str(path)


def test_check_mode_then_install_then_nothing_to_do(dify, operator_key, tmp_path):
    dify.plugins.trust(operator_key[1])
    pub = tmp_path / "operator.pub"
    pub.write_bytes(operator_key[1])
    pkg = package(tmp_path, operator_key[0])
    out = run(dify, [
        dict(task("dify_plugin", title="check", packages=[pkg], verify_keys=[str(pub)]), check_mode=True, diff=True),
        task("dify_plugin", title="install", poll_interval=1, packages=[pkg], verify_keys=[str(pub)]),
        dict(task("dify_plugin", title="again", packages=[pkg]), diff=True),
        task("dify_plugin", title="info"),
    ])
    checked = out.result("check")
    assert checked["changed"] is True, checked
    assert checked["actions"][0]["action"] == "install" and checked["installed"] == []
    assert checked["diff"] == {"before": {"plugins": {}}, "after": {"plugins": {"airgap/airgap_echo": "0.0.1"}}}
    assert checked["request_count"] == 2  # the login and the plugin list: no write

    first = out.result("install")
    assert first["changed"] is True, first
    [installed] = first["installed"]
    assert installed["plugin_id"] == "airgap/airgap_echo" and installed["version"] == "0.0.1"
    assert installed["source"] == "package" and installed["verified"] is True
    # The identifier the module computed is the one the (independent) fake daemon gave.
    assert installed["unique_identifier"] == first["packages"][0]["unique_identifier"]

    again = out.result("again")
    assert again["changed"] is False and again["actions"] == [], again
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["request_count"] == 2  # the login and the plugin list
    info = out.result("info")
    assert info["changed"] is False and [p["plugin_id"] for p in info["installed"]] == ["airgap/airgap_echo"]
    # One upload and one install request in the whole run: check mode and the second run sent none.
    assert (dify.plugins.uploads, dify.plugins.install_requests) == (1, 1)


def test_refusals_a_failed_task_and_a_lost_answer(dify, operator_key, tmp_path):
    (tmp_path / "u").mkdir()
    unsigned = package(tmp_path / "u", None)
    stranger = package(tmp_path, difypkg.generate_key(bits=2048)[0])
    signed = package(tmp_path, operator_key[0], name="echo_ok")
    dify.plugins.trust(operator_key[1])
    dify.inject("POST", r"/plugin/upload/pkg$", None)  # the connection drops at the first upload
    out = run(dify, [
        task("dify_plugin", title="unsigned", packages=[unsigned]),
        task("dify_plugin", title="lost", packages=[signed], retries=3),
        task("dify_plugin", title="untrusted", packages=[stranger]),
    ])
    refused = out.result("unsigned")
    assert refused["failed"] and "is not signed. Signature verification stays on" in refused["msg"]
    assert refused["request_count"] == 0
    lost = out.result("lost")
    assert lost["failed"] and "It was not retried" in lost["msg"]
    assert len([r for r in dify.requests if r.path.endswith("/upload/pkg")]) == 2  # the lost one, the stranger's
    dify_refused = out.result("untrusted")
    assert dify_refused["failed"]
    assert "bad signature" in dify_refused["msg"] and "THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS" in dify_refused["msg"]
    assert dify.plugins.installations == {} and dify.plugins.install_requests == 0

    dify.plugins.install_failure = "failed to init environment: uv pip install: No solution found for orjson"
    failed = run(dify, [task("dify_plugin", poll_interval=1, packages=[signed])]).result("t")
    assert failed["failed"] and "orjson" in failed["msg"] and "PIP_MIRROR_URL" in failed["msg"]
    assert dify.plugins.installations == {}


def test_daemon_that_trusts_no_third_party_key_refuses_even_the_operators(dify, operator_key, tmp_path):
    # THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED left false: the key alone is not enough.
    dify.plugins.third_party_keys.append(operator_key[1])
    out = run(dify, [task("dify_plugin", packages=[package(tmp_path, operator_key[0])])]).result("t")
    assert out["failed"] and "bad signature" in out["msg"]


def test_another_version_is_replaced_only_when_asked_then_removed(dify, operator_key, tmp_path):
    dify.plugins.trust(operator_key[1])
    old, new = package(tmp_path, operator_key[0]), package(tmp_path, operator_key[0], version="0.0.2")
    out = run(dify, [
        task("dify_plugin", title="install", poll_interval=1, packages=[old]),
        task("dify_plugin", title="refused", packages=[new]),
        task("dify_plugin", title="replace", poll_interval=1, packages=[new], replace=True),
        task("dify_plugin", title="absent", state="absent", plugin_ids=["airgap/airgap_echo"]),
        task("dify_plugin", title="absent again", state="absent", plugin_ids=["airgap/airgap_echo"]),
    ])
    assert out.result("install")["changed"] is True
    refused = out.result("refused")
    assert refused["failed"] and "Set replace: true" in refused["msg"]
    replaced = out.result("replace")
    assert replaced["changed"] is True and replaced["summary"]["replace"] == 1
    assert [p["version"] for p in replaced["installed"]] == ["0.0.2"]
    absent = out.result("absent")
    assert absent["changed"] is True and absent["installed"] == []
    assert out.result("absent again")["changed"] is False
    assert dify.plugins.installations == {}
