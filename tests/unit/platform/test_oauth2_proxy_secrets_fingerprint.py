"""OAuth2-Proxy rolls when a Secret it reads at start changes (found on kind, tests/browser/test_sso_kind.py).

The proxy takes its client secret and cookie secret from env, once. When the
keycloak wave writes a new client secret (regenerated in Keycloak, or the
client made again), the pods kept the old one and every sign-in failed with
"Invalid client or Invalid client credentials" while the converge reported
success. The same held for the CA bundle (--provider-ca-file): a new bundle
left the running proxy on the old one. The role's task fingerprints both
Secrets and the bundle's ConfigMap, and the pod template carries the
fingerprint, so a change to any of them changes the template.
"""

import yaml

from helpers.paths import REPO
from helpers.role_render import render_role_objects

DIGEST = "@sha256:" + "a" * 64
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_registry": "harbor.example.test",
    "dify_platform_images": {"oauth2_proxy": "harbor.example.test/p/oauth2-proxy" + DIGEST},
}


def _pod_template(**variables):
    objects = render_role_objects("oauth2_proxy", ["oauth2-proxy.yml.j2"], dict(BASE, **variables))
    return objects[("Deployment", "oauth2-proxy")]["spec"]["template"]


def test_a_changed_fingerprint_changes_the_pod_template():
    one = _pod_template(__oauth2_proxy_secrets_fingerprint="0123456789abcdef")
    two = _pod_template(__oauth2_proxy_secrets_fingerprint="fedcba9876543210")
    assert one["metadata"]["annotations"] == {"airgap.dify-platform/secrets-fingerprint": "0123456789abcdef"}
    assert one != two


def test_rendered_without_the_task_there_is_no_annotation():
    assert "annotations" not in _pod_template()["metadata"]


def test_the_task_fingerprints_both_secrets_the_proxy_reads_from_env_before_applying():
    tasks = yaml.safe_load((REPO / "roles" / "oauth2_proxy" / "tasks" / "main.yml").read_text())
    names = [next(k for k in task if k not in ("name", "no_log", "vars", "when")) for task in tasks]
    assert names.index("ansible.builtin.set_fact") < names.index("airgap.dify_platform.apply_wave")
    expression = tasks[names.index("ansible.builtin.set_fact")]["ansible.builtin.set_fact"][
        "__oauth2_proxy_secrets_fingerprint"]
    for secret in ("oauth2_proxy_oidc_secret", "oauth2_proxy_cookie_secret"):
        assert "lookup('airgap.dify_platform.secret_data', %s" % secret in expression
    # --provider-ca-file is read at start too: a new CA bundle must roll the pods (found on kind).
    assert "resource_name=oauth2_proxy_ca_bundle_name" in expression
    template = (REPO / "roles" / "oauth2_proxy" / "templates" / "oauth2-proxy.yml.j2").read_text()
    for variable in ("OAUTH2_PROXY_CLIENT_SECRET", "OAUTH2_PROXY_COOKIE_SECRET"):
        assert variable in template, "the proxy no longer reads %s from env: revisit the fingerprint" % variable
