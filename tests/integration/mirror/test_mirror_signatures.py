"""Optional signature verification of the source images with a cosign public key.

The signatures are made in Python in cosign's format (tests/harness/registry/cosign.py)
and checked with cosign (built from its Go module) before anything is copied.
"""

import json

import pytest

from harness.registry.cosign import Key, sign_image
from harness.registry.images import Pusher
from harness.registry.registry import cosign_binary
from mirror_support import lab  # noqa: F401  # pylint: disable=unused-import

_KEYS = {}


@pytest.fixture
def signed(lab, tmp_path):  # noqa: F811
    """app-oci and multi-oci signed with one key; app-docker unsigned; the public keys on disk."""
    if not _KEYS:
        good, other = Key(), Key()
        pusher = Pusher(lab.source)
        for name in ("app-oci", "multi-oci"):
            repo = "src/%s" % name
            sign_image(pusher, repo, "%s/%s" % (lab.source.host, repo), lab.digests[name], good)
        _KEYS.update(good=good, other=other)
    paths = {"cosign": str(cosign_binary())}
    for name, key in _KEYS.items():
        paths[name] = tmp_path / ("%s.pub" % name)
        paths[name].write_bytes(key.public_pem())
    return paths


def test_signed_images_pass(lab, signed, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "m.yml", names=["app-oci", "multi-oci"])
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tmp_path / "disk", manifest,
                                            cosign_public_key=str(signed["good"]),
                                            cosign_path=signed["cosign"]))
    assert rc == 0, answer
    assert all(i["signature_verified"] is True for i in answer["images"])
    inventory = json.loads((tmp_path / "disk" / "store" / "inventory.json").read_text())
    assert inventory["signature_check"] == "cosign" and all(i["complete"] for i in inventory["images"])
    assert dict((i["name"], i["digest"]) for i in inventory["images"]) == {
        "app-oci": lab.digests["app-oci"], "multi-oci": lab.digests["multi-oci"]}
    assert not list((tmp_path / "disk" / "store").glob(".signature-check-*")), "the scratch copies are removed"


def test_unsigned_or_wrongly_signed_images_are_refused_before_any_copy(lab, signed, tmp_path):  # noqa: F811
    unsigned = lab.manifest(tmp_path / "u.yml", names=["app-docker"])
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tmp_path / "u", unsigned,
                                            cosign_public_key=str(signed["good"]),
                                            cosign_path=signed["cosign"]))
    assert rc == 1 and "image app-docker" in answer["msg"] and "the signature check failed" in answer["msg"], answer["msg"]
    assert answer["msg"].endswith("nothing was copied")
    assert not (tmp_path / "u" / "store" / "inventory.json").exists()

    other = lab.manifest(tmp_path / "o.yml", names=["app-oci"])
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", tmp_path / "o", other,
                                            cosign_public_key=str(signed["other"]),
                                            cosign_path=signed["cosign"]))
    assert rc == 1 and "the signature check failed" in answer["msg"], answer["msg"]
    blobs = list((tmp_path / "o" / "store" / "blobs" / "sha256").iterdir())
    assert blobs == [] and not (tmp_path / "o" / "store" / "inventory.json").exists()


def test_mirror_to_mirror_checks_signatures_too(lab, signed, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "m.yml", names=["app-oci", "app-docker"])
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_mirror", tmp_path / "w", manifest, registry=lab.plain.host,
                                            project="signed", dest_username=lab.plain.username,
                                            dest_password=lab.plain.password, cosign_public_key=str(signed["good"]),
                                            cosign_path=signed["cosign"]))
    assert rc == 1 and "image app-docker" in answer["msg"] and answer["msg"].endswith("nothing was copied")
    for name in ("app-oci", "app-docker"):
        assert lab.manifest_digest(lab.plain, "signed/src/%s" % name, lab.digests[name]) is None
    good = lab.manifest(tmp_path / "g.yml", names=["app-oci", "multi-oci"])
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_mirror", tmp_path / "w", good, registry=lab.plain.host,
                                            project="signed", dest_username=lab.plain.username,
                                            dest_password=lab.plain.password, cosign_public_key=str(signed["good"]),
                                            cosign_path=signed["cosign"]))
    assert rc == 0, answer
    assert all(i["signature_verified"] for i in answer["images"])
    assert lab.manifest_digest(lab.plain, "signed/src/app-oci", lab.digests["app-oci"]) == lab.digests["app-oci"]
