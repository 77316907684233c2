"""oc-mirror v2's ImageSetConfiguration from the platform's settings (roles/mirror tasks_from: imageset).

The field names are oc-mirror's (github.com/openshift/oc-mirror v2/internal/pkg/api/v2alpha1/type_config.go):
the test checks the written file against them, and that the settings choose the packages.
"""

import yaml

from helpers.paths import REPO
from helpers.playbook import run_tasks

KNOWN_MIRROR_FIELDS = {"platform", "operators", "additionalImages", "helm", "blockedImages", "samples"}
KNOWN_OPERATOR_FIELDS = {"catalog", "packages", "targetCatalog", "targetTag", "full", "skipDependencies",
                         "targetCatalogSourceTemplate"}


def render(tmp_path, **variables):
    dest = tmp_path / "imageset-config.yaml"
    task = {"name": "imageset", "ansible.builtin.include_role": {"name": "airgap.dify_platform.mirror", "tasks_from": "imageset"},
            "vars": dict({"mirror_imageset_dest": str(dest)}, **variables)}
    run = run_tasks([task])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return yaml.safe_load(dest.read_text())


def packages(document):
    return {p["name"]: (o["catalog"], [c["name"] for c in p.get("channels", [])])
            for o in document["mirror"]["operators"] for p in o["packages"]}


def test_cloudnativepg_keycloak_and_observability(tmp_path):
    document = render(tmp_path, mirror_imageset_components=["observability"], mirror_imageset_openshift_version="4.18",
                      mirror_imageset_channels={"cloudnative-pg": ["stable-v1"]})
    assert document["kind"] == "ImageSetConfiguration" and document["apiVersion"] == "mirror.openshift.io/v2alpha1"
    assert set(document["mirror"]) <= KNOWN_MIRROR_FIELDS
    assert all(set(o) <= KNOWN_OPERATOR_FIELDS for o in document["mirror"]["operators"])
    assert packages(document) == {
        "cloudnative-pg": ("registry.redhat.io/redhat/community-operator-index:v4.18", ["stable-v1"]),
        "rhbk-operator": ("registry.redhat.io/redhat/redhat-operator-index:v4.18", []),
        "opentelemetry-product": ("registry.redhat.io/redhat/redhat-operator-index:v4.18", []),
        "grafana-operator": ("registry.redhat.io/redhat/community-operator-index:v4.18", []),
    }
    assert "additionalImages" not in document["mirror"]


def test_edb_without_observability_and_with_the_release_images(tmp_path):
    document = render(tmp_path, mirror_imageset_postgres_api_group="postgresql.k8s.enterprisedb.io", mirror_imageset_components=[],
                      mirror_imageset_keycloak_operator=False, mirror_imageset_release_images=True,
                      mirror_imageset_openshift_version="4.20")
    assert packages(document) == {"cloud-native-postgresql": ("registry.redhat.io/redhat/certified-operator-index:v4.20", [])}
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    assert sorted(i["name"] for i in document["mirror"]["additionalImages"]) == sorted(
        "%s@%s" % (e["repository"], e["digest"]) for e in manifest["images"].values())


def test_a_bad_version_is_refused(tmp_path):
    task = {"name": "imageset", "ansible.builtin.include_role": {"name": "airgap.dify_platform.mirror", "tasks_from": "imageset"},
            "vars": {"mirror_imageset_dest": str(tmp_path / "x.yaml"), "mirror_imageset_openshift_version": "v4.18"}}
    run = run_tasks([task])
    assert run.returncode != 0 and not (tmp_path / "x.yaml").exists()
