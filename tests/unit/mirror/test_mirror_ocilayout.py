"""Closures of images in the store (plugins/module_utils/release/ocilayout.py)."""

import hashlib
import json

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import ocilayout


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Store:
    def __init__(self, root):
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True)

    def put(self, data):
        d = digest(data)
        (self.root / "blobs" / "sha256" / d[7:]).write_bytes(data)
        return d, len(data)

    def image(self, arch, layers, docker=False):
        config = self.put(json.dumps({"architecture": arch}).encode())
        layer_descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}
                       for d, s in (self.put(data) for data in layers)]
        manifest = {"schemaVersion": 2, "mediaType": ("application/vnd.docker.distribution.manifest.v2+json" if docker
                                                      else "application/vnd.oci.image.manifest.v1+json"),
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
                    "layers": layer_descs}
        d, s = self.put(json.dumps(manifest).encode())
        return {"mediaType": manifest["mediaType"], "digest": d, "size": s, "platform": {"os": "linux", "architecture": arch}}

    def index(self, children):
        d, s = self.put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                    "manifests": children}).encode())
        return d, s


def test_walk_an_index_and_select_platforms(tmp_path):
    store = Store(tmp_path)
    amd = store.image("amd64", [b"base", b"amd-only"])
    arm = store.image("arm64", [b"base", b"arm-only"])
    att = {"mediaType": "application/vnd.in-toto+json", "digest": "sha256:" + "c" * 64, "size": 5}
    top, size = store.index([amd, arm, att])
    fetch = ocilayout.local_fetch(str(tmp_path))
    whole = ocilayout.walk(top, fetch)
    assert whole.platforms == ["linux/amd64", "linux/arm64"]
    assert len(whole.manifests) == 3 and len(whole.blobs) == 5  # 2 configs, shared base once, 2 own layers
    assert ocilayout.missing_blobs(str(tmp_path), whole) == []
    only_arm = ocilayout.walk(top, fetch, platforms={"arm64"})
    assert only_arm.platforms == ["linux/arm64"] and only_arm.manifests[top] == size
    assert digest(b"amd-only") not in only_arm.blobs
    with pytest.raises(ocilayout.LayoutError, match="none of the platforms"):
        ocilayout.walk(top, fetch, platforms={"linux/s390x"})


def test_missing_and_corrupted_blobs_are_found(tmp_path):
    store = Store(tmp_path)
    img = store.image("amd64", [b"layer-one", b"layer-two"])
    closure = ocilayout.walk(img["digest"], ocilayout.local_fetch(str(tmp_path)))
    lost = digest(b"layer-two")
    (tmp_path / "blobs" / "sha256" / lost[7:]).unlink()
    assert ocilayout.missing_blobs(str(tmp_path), closure) == [lost]
    bad = digest(b"layer-one")
    (tmp_path / "blobs" / "sha256" / bad[7:]).write_bytes(b"LAYER-ONE")  # same size, other content
    assert ocilayout.missing_blobs(str(tmp_path), closure) == [lost]
    assert sorted(ocilayout.missing_blobs(str(tmp_path), closure, verify=True)) == sorted([lost, bad])


def test_a_manifest_that_does_not_match_its_digest_is_refused(tmp_path):
    store = Store(tmp_path)
    img = store.image("amd64", [b"x"])
    (tmp_path / "blobs" / "sha256" / img["digest"][7:]).write_bytes(b'{"mediaType": "tampered"}')
    with pytest.raises(ocilayout.LayoutError, match="does not match its digest"):
        ocilayout.walk(img["digest"], ocilayout.local_fetch(str(tmp_path)))


def test_schema1_is_refused():
    with pytest.raises(ocilayout.LayoutError, match="schema 1"):
        ocilayout.parse_manifest(json.dumps({"schemaVersion": 1, "mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws"}))


def test_temporaries_are_cleaned(tmp_path):
    Store(tmp_path)
    blobs = tmp_path / "blobs" / "sha256"
    (blobs / ("a" * 64)).write_bytes(b"keep")
    (blobs / ("b" * 64 + "123456")).write_bytes(b"crane temp")
    (blobs / "oci-put-blob12345").write_bytes(b"skopeo temp")
    assert ocilayout.clean_temporaries(str(tmp_path)) == 2
    assert [p.name for p in blobs.iterdir()] == ["a" * 64]
