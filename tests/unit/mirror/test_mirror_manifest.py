"""Release manifest parsing and validation (plugins/module_utils/release/manifest.py, reference.py)."""

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import (
    load_manifest,
    mirror_reference,
    parse_manifest,
    pinned,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import parse_reference

D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64


def doc(**images):
    return {"schema": 1, "release": "1.2.3", "images": images}


def test_normalises_an_entry():
    m = parse_manifest(doc(api={"repository": "docker.io/langgenius/dify-api", "digest": D1, "version": 1.15}))
    entry = m["images"]["api"]
    assert entry["registry"] == "docker.io" and entry["path"] == "langgenius/dify-api"
    assert entry["reference"] == "docker.io/langgenius/dify-api@" + D1
    assert entry["version"] == "1.15" and entry["tag"] is None and entry["project"] is None
    assert m["release"] == "1.2.3"


def test_inline_digest_and_tag_are_understood():
    m = parse_manifest(doc(a={"repository": "quay.io/keycloak/keycloak:26.4@" + D1}))
    assert m["images"]["a"]["digest"] == D1 and m["images"]["a"]["tag"] == "26.4"
    with pytest.raises(ValidationError, match="disagree"):
        parse_manifest(doc(a={"repository": "quay.io/k/k@" + D1, "digest": D2}))


@pytest.mark.parametrize("entry", [
    {"repository": "docker.io/library/redis", "tag": "7.2"},
    {"repository": "docker.io/library/redis:7.2"},
])
def test_tag_only_reference_is_refused_unless_resolving(entry):
    with pytest.raises(ValidationError, match="tag-only reference"):
        parse_manifest(doc(redis=dict(entry)))
    resolved = parse_manifest(doc(redis=dict(entry)), allow_tags=True)["images"]["redis"]
    assert resolved["digest"] is None and resolved["tag"] == "7.2"
    assert resolved["reference"] == "docker.io/library/redis:7.2"
    assert pinned(resolved, D1)["reference"] == "docker.io/library/redis@" + D1


@pytest.mark.parametrize("entry, message", [
    ({"repository": "redis", "digest": D1}, "no registry host"),
    ({"repository": "library/redis", "digest": D1}, "no registry host"),
    ({"repository": "docker.io/Library/redis", "digest": D1}, "component 'Library' is invalid"),
    ({"repository": "docker.io/library/redis", "digest": "sha256:abc"}, "not sha256"),
    ({"repository": "docker.io/library/redis", "digest": "md5:" + "a" * 32}, "not sha256"),
    ({"repository": "docker.io/library/redis"}, "has no digest"),
    ({"digest": D1}, "has no repository"),
    ({"repository": "docker.io/library/redis", "digest": D1, "typo": 1}, "unknown field"),
    ({"repository": "docker.io/library/redis", "digest": D1, "project": "Bad_Project"}, "not a valid Harbor project"),
    ("docker.io/library/redis@" + D1, "must be a mapping"),
])
def test_bad_entries_name_the_problem(entry, message):
    with pytest.raises(ValidationError, match=message):
        parse_manifest(doc(redis=entry))


@pytest.mark.parametrize("data, message", [
    ({"schema": 2, "release": "1", "images": {}}, "schema must be 1"),
    ({"schema": 1, "images": {"a": {}}}, "release must name"),
    ({"schema": 1, "release": "1", "images": {}}, "non-empty mapping"),
    (["a"], "must be a mapping"),
])
def test_bad_documents(data, message):
    with pytest.raises(ValidationError, match=message):
        parse_manifest(data)


def test_load_refuses_duplicate_keys_and_bad_yaml(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text("schema: 1\nrelease: '1'\nimages:\n  a: {repository: docker.io/x/a, digest: %s}\n"
                    "  a: {repository: docker.io/x/b, digest: %s}\n" % (D1, D2))
    with pytest.raises(ValidationError, match="duplicate key 'a' at line 5"):
        load_manifest(str(path))
    path.write_text("schema: [1\n")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_manifest(str(path))
    with pytest.raises(ValidationError, match="cannot read"):
        load_manifest(str(tmp_path / "missing.yml"))


def test_load_the_shipped_manifest_format(tmp_path):
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(doc(api={"repository": "ghcr.io/a/b", "digest": D1, "version": "1", "source": "x"})))
    assert load_manifest(str(path))["images"]["api"]["repository"] == "ghcr.io/a/b"


def test_mirror_reference():
    assert mirror_reference("docker.io/langgenius/dify-api", D1, "harbor.example.com:8443", "mirror") == \
        "harbor.example.com:8443/mirror/langgenius/dify-api@" + D1
    with pytest.raises(ValidationError, match="always by digest"):
        mirror_reference("docker.io/a/b", "latest", "harbor.example.com", "mirror")
    with pytest.raises(ValidationError, match="registry host"):
        mirror_reference("docker.io/a/b", D1, "https://harbor.example.com", "mirror")
    with pytest.raises(ValidationError, match="must not carry a tag"):
        mirror_reference("docker.io/a/b:1", D1, "harbor.example.com", "mirror")


def test_parse_reference_hosts():
    assert parse_reference("localhost:5000/a@" + D1)["registry"] == "localhost:5000"
    assert parse_reference("127.0.0.1:5000/a/b:c")["tag"] == "c"
    assert parse_reference("[::1]:5000/a")["registry"] == "[::1]:5000"
