"""The OCI writer: the same tar and config give the same digest, in a layout skopeo reads."""

import io
import json
import shutil
import subprocess
import tarfile

import pytest
from airgap_images import oci


def _tar(path, content=b"hello\n"):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("etc/greeting")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    return path


def _image(layout, tar, user="1001:0"):
    layer = oci.add_layer(layout, tar)
    digest, size = oci.add_image(layout, layer, {"User": user, "Cmd": ["true"]}, 1767225600, "test")
    oci.write_index(layout, {"one": (digest, size)})
    return digest


def test_same_inputs_same_digest(tmp_path):
    tar = _tar(tmp_path / "rootfs.tar")
    first = _image(tmp_path / "a", tar)
    assert _image(tmp_path / "b", tar) == first
    assert _image(tmp_path / "c", tar, user="1002:0") != first
    assert _image(tmp_path / "d", _tar(tmp_path / "other.tar", b"bye\n")) != first
    config = oci.read_config(tmp_path / "a", first)
    assert config["created"] == "2026-01-01T00:00:00Z"
    assert config["rootfs"]["diff_ids"][0].startswith("sha256:")
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert index["manifests"][0]["annotations"][oci.REF_NAME] == "one"


@pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo is not installed (make images-tools)")
def test_skopeo_reads_the_layout(tmp_path):
    digest = _image(tmp_path / "layout", _tar(tmp_path / "rootfs.tar"))
    out = subprocess.run(["skopeo", "inspect", "oci:%s:one" % (tmp_path / "layout")], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout)["Digest"] == digest
