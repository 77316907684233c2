"""The SeaweedFS recipe against the langfuse role's in-cluster S3 StatefulSet."""

import re
from pathlib import Path

from airgap_images import recipe as recipes
from airgap_images.recipe import Recipe

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"


def _s3_template():
    return (ROLES / "langfuse" / "templates" / "s3.yml.j2").read_text()


def test_seaweedfs_smoke_runs_the_roles_script_verbatim():
    script = _s3_template().split("{% set script %}", 1)[1].split("{% endset %}", 1)[0].strip()
    recipe = Recipe("seaweedfs")
    serve = recipe.expand(recipe.data["smoke"]["serve"])  # what the smoke run passes to podman
    assert serve[:2] == ["/bin/sh", "-c"]
    assert serve[2].strip() == script, "hack/images/seaweedfs smoke drifted from the langfuse role's script"
    assert "command: [/bin/sh, -c]" in _s3_template()


def test_seaweedfs_smoke_mounts_and_probe_are_the_roles():
    template = _s3_template()
    smoke = Recipe("seaweedfs").data["smoke"]
    mounts = re.findall(r"mountPath: (/[\w/]+)\}", template.split("volumeMounts:", 1)[1])
    assert sorted(smoke["mounts"]) == sorted(mounts)
    assert "{name: HOME, value: /tmp}" in template and smoke["env"]["HOME"] == "/tmp"
    assert "command: [cat, /tmp/bucket-ready]" in template and smoke["probe"] == ["cat", "/tmp/bucket-ready"]
    assert Recipe("seaweedfs").data["config"]["cmd"] == ["/usr/bin/weed"]


def test_seaweedfs_binary_comes_from_the_shared_build_script():
    link = recipes.IMAGES_DIR / "seaweedfs" / "tools" / "seaweedfs.sh"
    assert link.is_symlink() and link.resolve() == (REPO / "hack" / "tools" / "seaweedfs.sh").resolve()
