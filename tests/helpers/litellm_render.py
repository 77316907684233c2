"""The litellm role's minimal inventory, for the unit tests that render it."""

LITELLM_BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_components": ["foundation", "postgres", "litellm"],
    "dify_platform_images": {"litellm": "harbor.example.test/dify-platform/litellm-non_root@sha256:" + "a" * 64},
}
