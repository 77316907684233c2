"""Per-person attribution of Open WebUI's calls: the litellm role maps Open WebUI's forwarded e-mail header to a
LiteLLM customer (general_settings.user_header_mappings) when the open_webui wave is enabled, and only then."""

import yaml

from helpers.role_render import render_role_objects

BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_images": {"litellm": "harbor.example.test/dify-platform/litellm@sha256:" + "a" * 64},
}


def general_settings(**overrides):
    objects = render_role_objects("litellm", ("config.yml.j2",), dict(BASE, **overrides))
    return yaml.safe_load(objects[("ConfigMap", "litellm-config")]["data"]["config.yaml"])["general_settings"]


def test_open_webui_wave_names_the_signed_in_person_as_the_customer():
    settings = general_settings(dify_platform_components=["foundation", "postgres", "litellm", "open_webui"])
    assert settings["user_header_mappings"] == [{"header_name": "X-OpenWebUI-User-Email", "litellm_user_role": "customer"}]
    assert settings["master_key"] == "os.environ/LITELLM_MASTER_KEY"


def test_without_open_webui_no_header_names_anyone():
    assert "user_header_mappings" not in general_settings(dify_platform_components=["foundation", "postgres", "litellm"])


def test_an_operator_mapping_replaces_the_default():
    mapping = [{"header_name": "X-Portal-User", "litellm_user_role": "internal_user"}]
    settings = general_settings(dify_platform_components=["litellm", "open_webui"], litellm_user_header_mappings=mapping)
    assert settings["user_header_mappings"] == mapping
