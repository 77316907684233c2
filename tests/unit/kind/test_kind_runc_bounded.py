"""hack/kind/runc-bounded.py: the runtime of the private Docker engine (dockerd-here.sh) drops the
capabilities outside the bounding set from a container's spec, as podman does for --privileged."""

import importlib.util
import json

from helpers.paths import REPO

SPEC = importlib.util.spec_from_file_location("runc_bounded", REPO / "hack" / "kind" / "runc-bounded.py")
runc_bounded = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(runc_bounded)

# This host's root shell: every capability up to CAP_CHECKPOINT_RESTORE (40) but CAP_SYS_RESOURCE (24).
STATUS_NO_SYS_RESOURCE = "Name:\tbash\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n"
STATUS_FULL = "CapBnd:\t000001ffffffffff\n"


def test_missing_capabilities_reads_the_bounding_set():
    assert runc_bounded.missing_capabilities(STATUS_NO_SYS_RESOURCE) == {"CAP_SYS_RESOURCE"}
    assert runc_bounded.missing_capabilities(STATUS_FULL) == set()
    assert len(runc_bounded.NAMES) == 41
    assert runc_bounded.NAMES[24] == "SYS_RESOURCE"


def test_bound_drops_them_from_every_set():
    everything = ["CAP_%s" % name for name in runc_bounded.NAMES]
    process = {"capabilities": {key: list(everything) for key in ("bounding", "effective", "permitted")}}
    process["capabilities"]["inheritable"] = []
    assert runc_bounded.bound(process, {"CAP_SYS_RESOURCE"})
    for key in ("bounding", "effective", "permitted"):
        assert "CAP_SYS_RESOURCE" not in process["capabilities"][key]
        assert len(process["capabilities"][key]) == 40
    assert process["capabilities"]["inheritable"] == []
    assert not runc_bounded.bound(process, {"CAP_SYS_RESOURCE"})
    assert not runc_bounded.bound({}, {"CAP_SYS_RESOURCE"})


def test_option_finds_both_spellings():
    argv = ["--root", "/r", "create", "--bundle", "/b", "--pid-file", "/p", "id"]
    assert runc_bounded.option(argv, "--bundle", "-b") == "/b"
    assert runc_bounded.option(["exec", "--process=/x.json", "id"], "--process", "-p") == "/x.json"
    assert runc_bounded.option(["start", "id"], "--bundle", "-b") is None


def test_rewrite_changes_the_bundle_spec_in_place(tmp_path):
    config = tmp_path / "config.json"
    spec = {"ociVersion": "1.0.2", "process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_SYS_RESOURCE"]}}}
    config.write_text(json.dumps(spec))
    runc_bounded.rewrite(str(config), {"CAP_SYS_RESOURCE"}, key="process")
    assert json.loads(config.read_text())["process"]["capabilities"]["bounding"] == ["CAP_CHOWN"]
    assert json.loads(config.read_text())["ociVersion"] == "1.0.2"
