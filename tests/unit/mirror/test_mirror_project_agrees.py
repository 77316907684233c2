"""The mirror pushes exactly where the platform pulls (issue 14, defect 11).

The mirror role's project and the platform's registry project once had different
defaults (dify-mirror and dify-platform): following the runbook gave
ImagePullBackOff on every image. Both roles' defaults are read through Ansible
as a run reads them, and every destination the mirror plans is compared with
the reference the deploy roles pull.
"""

import pytest

from helpers.paths import REPO
from helpers.playbook import run_tasks

MIRROR_DEFAULTS = REPO / "roles" / "mirror" / "defaults" / "main.yml"
PLATFORM_DEFAULTS = REPO / "roles" / "dify_platform" / "defaults" / "main.yml"
MANIFEST = REPO / "release" / "manifest.yml"
REGISTRY = "harbor.example.internal:8443"


def resolved(platform_defaults=True, extra=None):
    """mirror_project, the mirror's destinations and the platform's image references, as Ansible resolves them."""
    tasks = [{"name": "mirror defaults", "ansible.builtin.include_vars": {"file": str(MIRROR_DEFAULTS)}}]
    if platform_defaults:
        tasks.append({"name": "platform defaults", "ansible.builtin.include_vars": {"file": str(PLATFORM_DEFAULTS)}})
    if extra:
        tasks.append({"name": "inventory", "ansible.builtin.set_fact": extra})
    tasks.append({"name": "resolve", "ansible.builtin.debug": {"msg": {
        "project": "{{ mirror_project }}",
        "pushed": "{{ '%s' | airgap.dify_platform.mirror_plan('%s', mirror_project) | map(attribute='destination') | list }}"
                  % (MANIFEST, REGISTRY),
        "pulled": "{{ lookup('airgap.dify_platform.release_images', manifest='%s', registry='%s',"
                  " project=dify_platform_registry_project | default('unset')) }}" % (MANIFEST, REGISTRY),
    }}})
    play = run_tasks(tasks)
    result = play.result("resolve")
    assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    return result["msg"]


@pytest.mark.parametrize("extra", [None, {"dify_platform_registry_project": "ai-platform"}], ids=["defaults", "inventory"])
def test_every_image_the_mirror_pushes_is_where_the_platform_pulls_it(extra):
    found = resolved(extra=extra)
    assert found["project"] == (extra or {}).get("dify_platform_registry_project", "dify-platform")
    assert sorted(found["pushed"]) == sorted(found["pulled"].values())
    assert len(found["pushed"]) > 10


def test_a_mirror_run_without_the_platform_s_variables_uses_the_platform_s_default():
    """mirror.yml runs on a connected host or bastion that may not load the platform's defaults."""
    assert resolved(platform_defaults=False)["project"] == "dify-platform"


def test_the_cluster_s_mirror_sets_point_at_the_platform_s_project_and_never_contact_the_source():
    """The role's cluster_config.yml with its defaults: an air gap never falls back to upstream."""
    play = run_tasks([
        {"name": "cluster config", "ansible.builtin.include_role": {
            "name": "airgap.dify_platform.mirror", "tasks_from": "cluster_config.yml"},
         "vars": {"mirror_registry": REGISTRY, "mirror_secure_logging": False}},
        {"name": "objects", "ansible.builtin.debug": {"var": "mirror_cluster_objects"}},
    ])
    objects = play.result("objects")["mirror_cluster_objects"]
    idms = next(obj for obj in objects if obj["kind"] == "ImageDigestMirrorSet")
    pairs = idms["spec"]["imageDigestMirrors"]
    assert pairs and set(pair["mirrorSourcePolicy"] for pair in pairs) == {"NeverContactSource"}
    assert all(mirror.startswith(REGISTRY + "/dify-platform/") for pair in pairs for mirror in pair["mirrors"])
