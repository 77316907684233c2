"""dify_plugin's pure logic: the package identity, the plan, the order of the writes, the task polling.

The API seam is a small recording object (what the console answered, what was sent), not a
patch of the client: the HTTP side is tested against the fake console in
tests/integration/dify/test_dify_plugin.py.
"""

import io
import zipfile
from pathlib import Path

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify import plugin_service as service
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_api import (
    InstallTaskError,
    SignatureRefusedError,
    multipart,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_package import (
    PackageError,
    PluginPackage,
    checksum,
    split_identifier,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from fakes.dify_console import plugin_daemon

PLUGIN = Path(__file__).resolve().parents[2] / "fixtures" / "dify-plugin" / "airgap_echo"


@pytest.fixture(scope="module")
def keys():
    return difypkg.generate_key(bits=2048)


def build(version="0.0.1", name="airgap_echo", key=None, note="", lock_only=False):
    text = (PLUGIN / "manifest.yaml").read_text().replace("version: 0.0.1", "version: %s" % version) + note
    text = text.replace("name: airgap_echo", "name: %s" % name)
    raw = io.BytesIO(difypkg.pack(str(PLUGIN)))
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if lock_only and info.filename == "requirements.txt":
                dst.writestr("pyproject.toml", "[project]\nname = 'airgap-echo'\nversion = '0.0.1'\n")
                dst.writestr("uv.lock", "[[package]]\nsource = { registry = 'https://pypi.org/simple' }\n")
                continue
            dst.writestr(info.filename, text if info.filename == "manifest.yaml" else src.read(info.filename))
    data = out.getvalue()
    if key is not None:
        data = difypkg.sign(data, key)
    return PluginPackage("/bundle/%s-%s.difypkg" % (name, version), data)


def view(package, installation_id="inst-1"):
    return {"plugin_id": package.plugin_id, "version": package.version, "unique_identifier": package.unique_identifier,
            "installation_id": installation_id, "source": "package", "category": "tool", "verified": True}


def test_checksum_and_identifier_agree_with_the_fake_daemons_independent_computation(keys):
    package = build(key=keys[0])
    archive = zipfile.ZipFile(io.BytesIO(package.data))
    assert checksum(package.data) == plugin_daemon._checksum(archive)
    assert package.unique_identifier == "airgap/airgap_echo:0.0.1@%s" % package.checksum
    assert split_identifier(package.unique_identifier) == ("airgap/airgap_echo", "0.0.1", package.checksum)
    assert split_identifier("airgap/x") == ("airgap/x", None, None)


def test_a_file_that_is_not_a_zip_is_refused_before_any_request(tmp_path):
    path = tmp_path / "broken.difypkg"
    path.write_bytes(b"not a zip")
    with pytest.raises(PackageError, match=r"broken\.difypkg"):
        PluginPackage.read(str(path))
    with pytest.raises(PackageError, match="PLUGIN_MAX_PACKAGE_SIZE"):
        PluginPackage.read(str(path), max_size=3)


def test_unsigned_packages_are_refused_and_tampering_is_caught_with_verify_keys(keys):
    with pytest.raises(PackageError, match=r"not signed\. Signature verification stays on"):
        service.check_packages([build()])
    signed = build(key=keys[0])
    service.check_packages([signed], [keys[1]])
    other = difypkg.generate_key(bits=2048)
    with pytest.raises(PackageError, match="does not verify"):
        service.check_packages([signed], [other[1]])
    with pytest.raises(ValidationError, match="one package per plugin"):
        service.check_packages([signed, build(version="0.0.2", key=keys[0])])


def test_a_lock_only_package_is_refused_before_any_request(keys):
    with pytest.raises(PackageError, match=r"uv\.lock and no requirements\.txt"):
        service.check_packages([build(key=keys[0], lock_only=True)])


def test_plan_installs_what_is_missing_and_leaves_the_same_version_alone(keys):
    new, same = build(name="echo_new", key=keys[0]), build(key=keys[0])
    plan = service.plan_present([new, same], {same.plugin_id: view(same)})
    assert [(a.kind, a.plugin_id) for a in plan.actions] == [("install", "airgap/echo_new")]
    assert plan.unchanged == ["airgap/airgap_echo"] and not plan.warnings
    assert plan.summary() == {"install": 1, "replace": 0, "uninstall": 0, "unchanged": 1}
    assert plan.diff()["after"]["plugins"] == {"airgap/airgap_echo": "0.0.1", "airgap/echo_new": "0.0.1"}
    assert not service.plan_present([same], {same.plugin_id: view(same)}).changed


def test_same_version_with_other_content_is_a_warning_not_a_change(keys):
    installed, rebuilt = build(key=keys[0]), build(key=keys[0], note="# rebuilt\n")
    # The signature is in the zip comment, outside the checksum: a package signed again is the same package.
    assert build(key=difypkg.generate_key(bits=2048)[0]).checksum == installed.checksum
    plan = service.plan_present([rebuilt], {installed.plugin_id: view(installed)})
    assert not plan.changed
    assert "other content" in plan.warnings[0]


def test_another_version_needs_replace(keys):
    old, new = build(key=keys[0]), build(version="0.0.2", key=keys[0])
    with pytest.raises(ValidationError, match=r"installed at version 0\.0\.1 .* holds version 0\.0\.2\. Nothing was changed"):
        service.plan_present([new], {old.plugin_id: view(old)})
    plan = service.plan_present([new], {old.plugin_id: view(old)}, replace=True)
    assert [(a.kind, a.from_version, a.to_version, a.installation_id) for a in plan.actions] == [
        ("replace", "0.0.1", "0.0.2", "inst-1")]


def test_plan_absent(keys):
    package = build(key=keys[0])
    plan = service.plan_absent(["airgap/airgap_echo", "airgap/gone"], {package.plugin_id: view(package)})
    assert [(a.kind, a.plugin_id) for a in plan.actions] == [("uninstall", "airgap/airgap_echo")]
    assert plan.unchanged == ["airgap/gone"]
    assert plan.after() == {}


class RecordingApi:
    """Answers like the console; records the writes in order."""

    def __init__(self, refuse_upload=None, task_statuses=("running", "success"), all_installed=False):
        self.sent = []
        self.refuse_upload = refuse_upload
        self.task_statuses = list(task_statuses)
        self.all_installed = all_installed

    def upload(self, package):
        self.sent.append(("upload", package.plugin_id))
        if package.plugin_id == self.refuse_upload:
            raise SignatureRefusedError("the upload of %s" % package.path, "bad signature")
        return {"unique_identifier": package.unique_identifier}

    def uninstall(self, installation_id):
        self.sent.append(("uninstall", installation_id))
        return True

    def install(self, identifiers):
        self.sent.append(("install", tuple(identifiers)))
        return {"all_installed": self.all_installed, "task_id": "" if self.all_installed else "task-1"}

    def task(self, task_id):
        status = self.task_statuses.pop(0)
        return {"status": status, "plugins": [{"plugin_unique_identifier": "x", "status": status,
                                               "message": "uv pip install: No solution found"}]}


def test_every_upload_comes_before_any_uninstall_so_a_refused_package_removes_nothing(keys):
    old, new, other = build(key=keys[0]), build(version="0.0.2", key=keys[0]), build(name="echo_b", key=keys[0])
    plan = service.plan_present([new, other], {old.plugin_id: view(old)}, replace=True)
    api = RecordingApi(refuse_upload="airgap/echo_b")
    with pytest.raises(service.PluginApplyError, match="done before it: nothing"):
        service.apply_plan(plan, api, sleep=lambda s: None)
    assert [s[0] for s in api.sent] == ["upload", "upload"]

    api = RecordingApi()
    done, _warnings = service.apply_plan(plan, api, sleep=lambda s: None)
    assert [s[0] for s in api.sent] == ["upload", "upload", "uninstall", "install"]
    assert api.sent[3] == ("install", (new.unique_identifier, other.unique_identifier))
    assert [d["action"] for d in done] == ["uninstall", "replace", "install"]


def test_a_failed_task_after_an_uninstall_says_what_was_done(keys):
    old, new = build(key=keys[0]), build(version="0.0.2", key=keys[0])
    plan = service.plan_present([new], {old.plugin_id: view(old)}, replace=True)
    api = RecordingApi(task_statuses=("running", "failed"))
    with pytest.raises(service.PluginApplyError, match=r"PIP_MIRROR_URL.*done before it: uninstall airgap/airgap_echo"):
        service.apply_plan(plan, api, sleep=lambda s: None)


def test_all_installed_needs_no_task(keys):
    plan = service.plan_present([build(key=keys[0])], {})
    api = RecordingApi(all_installed=True, task_statuses=())
    service.apply_plan(plan, api)
    assert [s[0] for s in api.sent] == ["upload", "install"]


def test_task_polling_is_bounded():
    clock = iter(range(0, 1000, 5))
    api = RecordingApi(task_statuses=["running"] * 100)
    slept = []
    with pytest.raises(InstallTaskError, match="still running after 20 s"):
        service.wait_for_task(api, "task-1", timeout=20, poll_interval=5, sleep=slept.append,
                              clock=lambda: next(clock))
    assert slept and len(slept) <= 5


def test_confirm_catches_a_list_that_disagrees(keys):
    package = build(key=keys[0])
    plan = service.plan_present([package], {})
    with pytest.raises(Exception, match=r"expected 0\.0\.1, Dify lists absent"):
        service.confirm(plan, {})
    service.confirm(plan, {package.plugin_id: view(package)})


def test_multipart_body_is_what_the_console_reads_as_request_files():
    body, content_type = multipart("pkg", "a.difypkg", b"\r\n--binary\r\n\x00")
    assert plugin_daemon.parse_multipart(content_type, body) == {"pkg": ("a.difypkg", b"\r\n--binary\r\n\x00")}
