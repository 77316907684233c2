"""What the cluster needs from the manifest (plugins/module_utils/release/cluster.py)."""

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import cluster
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import parse_manifest

D1, D2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def manifest():
    return parse_manifest({"schema": 1, "release": "1", "images": {
        "api": {"repository": "docker.io/langgenius/dify-api", "digest": D1},
        "worker": {"repository": "docker.io/langgenius/dify-api", "digest": D2},
        "pg": {"repository": "ghcr.io/cloudnative-pg/postgresql", "digest": D2, "tag": "17.5"},
        "kc": {"repository": "quay.io/keycloak/keycloak", "digest": D1, "project": "sso"},
    }})


def test_digest_mirrors_once_per_repository():
    assert cluster.digest_mirrors(manifest(), "harbor.example.com", "dify") == [
        {"source": "docker.io/langgenius/dify-api", "mirrors": ["harbor.example.com/dify/langgenius/dify-api"]},
        {"source": "ghcr.io/cloudnative-pg/postgresql", "mirrors": ["harbor.example.com/dify/cloudnative-pg/postgresql"]},
        {"source": "quay.io/keycloak/keycloak", "mirrors": ["harbor.example.com/sso/keycloak/keycloak"]},
    ]


def test_tag_mirrors_only_for_entries_with_a_tag():
    assert cluster.tag_mirrors(manifest(), "harbor.example.com", "dify") == [
        {"source": "ghcr.io/cloudnative-pg/postgresql", "mirrors": ["harbor.example.com/dify/cloudnative-pg/postgresql"]}]


def test_plan():
    plan = dict((p["name"], p) for p in cluster.plan(manifest(), "harbor.example.com:8443", "dify"))
    assert plan["kc"]["destination"] == "harbor.example.com:8443/sso/keycloak/keycloak@" + D1
    assert plan["pg"]["tag"] == "17.5" and plan["api"]["project"] == "dify"


def test_registry_ca_key():
    assert cluster.registry_ca_key("harbor.example.com") == "harbor.example.com"
    assert cluster.registry_ca_key("harbor.example.com:8443") == "harbor.example.com..8443"
