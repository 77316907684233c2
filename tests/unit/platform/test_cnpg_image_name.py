"""CloudNativePG admits the platform's Cluster objects: their imageName names a tag besides the digest.

CloudNativePG's validating webhook refuses an ``imageName`` with a digest and no tag ("Can't use just
the image sha as we can't detect upgrades") and one whose tag does not start with a PostgreSQL version.
:func:`webhook_image_name_errors` is that rule, ported from the operator's source:

- github.com/cloudnative-pg/cloudnative-pg@v1.30.1 internal/webhook/v1/cluster_webhook.go,
  ``validateImageName`` (the ``switch tag`` on ``reference.New(r.Spec.ImageName).Tag``);
- github.com/cloudnative-pg/machinery@v0.6.0 pkg/image/reference/imagename.go, ``New`` (the digest is cut
  off first, then ``:(?P<tag>[^/]+)$``; no tag and no digest means ``latest``);
- the same module's pkg/postgres/version/version.go, ``FromTag`` (``^(\\d\\.?)+``, then major and minor).

The cases of the operator's own test (internal/webhook/v1/cluster_webhook_test.go, "image name" specs)
check the port. The Cluster objects are rendered from the roles' templates with the images resolved by
dify_platform's real first task (the release_images lookup), so the test fails on a digest-only rendering.
"""

import re

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.lookup.release_images import SHIPPED_MANIFEST, resolve
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest
from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import PLATFORM_DEFAULTS, PLATFORM_VARS, render_role_objects

DIGEST_RE = re.compile(r"@sha256:([a-fA-F0-9]+)$")
TAG_RE = re.compile(r":([^/]+)$")
HOST_RE = re.compile(r"^[^./:]+((\.[^./:]+)+(:[0-9]+)?|:[0-9]+)/")
SEMVER_RE = re.compile(r"^(\d\.?)+")
REGISTRY = "harbor.example.test"
SHA = "cff94de382ca538861622bbe84cfe03f44f307a9846a5c5eda672cf4dc692866"


def webhook_tag(name):
    """machinery's reference.New(name).Tag."""
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not HOST_RE.match(name):
        name = "docker.io/" + name
    digest = DIGEST_RE.search(name)
    if digest:
        name = name[:digest.start()]
    tag = TAG_RE.search(name)
    if tag:
        return tag.group(1)
    return "" if digest else "latest"


def webhook_image_name_errors(image_name):
    """validateImageName's messages for ``spec.imageName`` (empty: admitted)."""
    if not image_name:
        return []
    tag = webhook_tag(image_name)
    if tag == "latest":
        return ["Can't use 'latest' as image tag as we can't detect upgrades"]
    if tag == "":
        return ["Can't use just the image sha as we can't detect upgrades"]
    version = SEMVER_RE.match(tag)
    if not version:
        return ["invalid version tag"]
    major, _dot, minor = version.group(0).partition(".")
    if not major.isdigit() or (minor and not minor.split(".")[0].isdigit()):
        return ["invalid version tag"]
    return []


# The operator's own cases (cluster_webhook_test.go, v1.30.1): True means admitted.
@pytest.mark.parametrize("image_name, admitted", [
    ("postgres:latest", False),
    ("postgres", False),
    ("postgres:15beta1", True),
    ("postgres:15rc1", True),
    ("postgres@sha256:" + SHA, False),
    ("postgres:10.4", True),
    ("postgres:14.4-1", True),
    ("postgres:10.4@sha256:" + SHA, True),
    ("postgres:test_12", False),
    # A mirror host with a port: the port is not a tag.
    ("harbor.example.test:8443/p/postgresql@sha256:" + SHA, False),
    ("harbor.example.test:8443/p/postgresql:17.11-202608310816-standard-trixie@sha256:" + SHA, True),
])
def test_the_port_agrees_with_the_operators_own_cases(image_name, admitted):
    assert (webhook_image_name_errors(image_name) == []) is admitted


def resolved_images():
    """dify_platform_images as dify_platform's first task sets it, with the role's defaults and vars."""
    tasks = yaml.safe_load((REPO / "roles" / "dify_platform" / "tasks" / "main.yml").read_text())
    [resolve_task] = [t for t in tasks if "dify_platform_images" in (t.get("ansible.builtin.set_fact") or {})]
    play = run_tasks([
        {"name": "platform defaults", "ansible.builtin.include_vars": {"file": str(PLATFORM_DEFAULTS)}},
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "inputs", "ansible.builtin.set_fact": {"dify_platform_registry": REGISTRY}},
        dict(resolve_task, name="resolve"),
        {"name": "images", "ansible.builtin.debug": {"var": "dify_platform_images"}},
    ])
    result = play.result("images")
    assert not result.get("failed"), play.stderr[-2000:]
    return result["dify_platform_images"]


@pytest.fixture(scope="module")
def clusters():
    """Every CNPG Cluster the platform renders: its own (postgres) and Keycloak's database."""
    images = resolved_images()
    base = {"dify_platform_namespace": "ai", "dify_platform_domain": "apps.example.test",
            "dify_platform_registry": REGISTRY, "dify_platform_storage_class": "", "dify_platform_images": images,
            "keycloak_mode": "operator"}
    objects = {}
    objects.update(render_role_objects("postgres", ("cluster.yml.j2",), base))
    objects.update(render_role_objects("keycloak", ("operator.yml.j2",), base))
    found = dict((name, obj) for (kind, name), obj in objects.items() if kind == "Cluster")
    assert len(found) == 2, sorted(found)
    return found


def test_the_webhook_admits_every_rendered_cluster(clusters):
    manifest = load_manifest(SHIPPED_MANIFEST)["images"]["postgres"]
    for name, cluster in clusters.items():
        image_name = cluster["spec"]["imageName"]
        assert webhook_image_name_errors(image_name) == [], (name, image_name)
        # Still pulled by the manifest's digest, from the mirror.
        assert image_name.startswith(REGISTRY + "/dify-platform/cloudnative-pg/postgresql:"), image_name
        assert image_name.endswith(":%s@%s" % (manifest["version"], manifest["digest"])), image_name


def test_the_digest_only_rendering_is_what_the_webhook_refuses():
    """The reference the roles rendered before: the webhook's 'just the image sha' error."""
    manifest = load_manifest(SHIPPED_MANIFEST)
    old = resolve(manifest, REGISTRY, "dify-platform", {})["postgres"]
    assert webhook_image_name_errors(old) == ["Can't use just the image sha as we can't detect upgrades"]


def test_only_the_cnpg_operand_is_tagged():
    """skopeo and podman refuse tag+digest references; the other images keep the digest-only form."""
    manifest = load_manifest(SHIPPED_MANIFEST)
    images = resolve(manifest, REGISTRY, "dify-platform", {}, tagged=("postgres",))
    for key, reference in images.items():
        assert (":" in reference.split("/")[-1].split("@")[0]) is (key == "postgres"), reference


def test_an_untagged_override_of_the_cnpg_operand_is_refused():
    manifest = load_manifest(SHIPPED_MANIFEST)
    with pytest.raises(ValidationError, match=r"dify_platform_image_overrides\.postgres.*has no tag"):
        resolve(manifest, REGISTRY, "p", {"postgres": REGISTRY + "/p/postgresql@sha256:" + SHA}, tagged=("postgres",))
    tagged = REGISTRY + "/p/postgresql:17.6@sha256:" + SHA
    assert resolve(manifest, REGISTRY, "p", {"postgres": tagged}, tagged=("postgres",))["postgres"] == tagged


@pytest.mark.parametrize("role, variable", [("postgres", "postgres_image"), ("keycloak", "keycloak_db_image")])
def test_the_input_rules_refuse_an_untagged_operand_image(role, variable):
    """postgres_image / keycloak_db_image set directly get the same check, before any wave."""
    rules = "__%s_input_errors" % role
    play = run_tasks([
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "role vars", "ansible.builtin.include_vars": {"file": str(REPO / "roles" / role / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": {
            "keycloak_mode": "operator", "keycloak_route_timeout": "30s", variable: REGISTRY + "/p/postgresql@sha256:" + SHA}},
        {"name": "untagged", "ansible.builtin.debug": {"var": rules}},
        {"name": "tag it", "ansible.builtin.set_fact": {variable: REGISTRY + "/p/postgresql:17.11-1@sha256:" + SHA}},
        {"name": "tagged", "ansible.builtin.debug": {"var": rules}},
    ])
    untagged = play.result("untagged")[rules]
    assert len(untagged) == 1 and untagged[0].startswith(variable), untagged
    assert play.result("tagged")[rules] == []
