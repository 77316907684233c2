"""How the deploy roles resolve images: every manifest entry to the mirror, overrides pinned by digest."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.lookup.release_images import SHIPPED_MANIFEST, resolve
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest

DIGEST = "sha256:" + "ab" * 32


def test_the_shipped_manifest_pins_every_image_the_roles_use():
    manifest = load_manifest(SHIPPED_MANIFEST)
    images = resolve(manifest, "harbor.example.internal", "dify-platform", {})
    for key in ("dify_api", "dify_web", "dify_sandbox", "dify_plugin_daemon", "ssrf_proxy", "keycloak", "redis", "postgres", "oauth2_proxy"):
        assert images[key].startswith("harbor.example.internal/dify-platform/")
        assert "@sha256:" in images[key]
        assert manifest["images"][key]["source"], key


def test_upstream_host_is_replaced_and_path_kept():
    manifest = load_manifest(SHIPPED_MANIFEST)
    images = resolve(manifest, "harbor.example.internal:8443", "mirror", {})
    digest = manifest["images"]["dify_api"]["digest"]
    assert images["dify_api"] == "harbor.example.internal:8443/mirror/langgenius/dify-api@" + digest


def test_an_override_pinned_by_digest_is_used_as_given():
    manifest = load_manifest(SHIPPED_MANIFEST)
    images = resolve(manifest, "harbor.example.internal", "p", {"redis": "harbor.example.internal/other/valkey@" + DIGEST})
    assert images["redis"] == "harbor.example.internal/other/valkey@" + DIGEST


@pytest.mark.parametrize("reference", ["harbor.example.internal/p/redis:8", "harbor.example.internal/p/redis"])
def test_a_tag_only_override_is_refused_naming_the_variable(reference):
    manifest = load_manifest(SHIPPED_MANIFEST)
    with pytest.raises(ValidationError, match=r"dify_platform_image_overrides\.redis"):
        resolve(manifest, "harbor.example.internal", "p", {"redis": reference})


def test_an_override_of_an_unknown_image_is_refused():
    manifest = load_manifest(SHIPPED_MANIFEST)
    with pytest.raises(ValidationError, match="no such image"):
        resolve(manifest, "harbor.example.internal", "p", {"dify-apii": "h.example/x@" + DIGEST})
