"""The open_webui role's templates, rendered by Ansible with the role's own defaults and vars (no cluster).

What is checked is what the cluster would receive: restricted-v2 security (no fixed UID, GID or
fsGroup, a read-only root with every writable path a volume), secrets referenced and never
rendered, sign-in only through Keycloak, LiteLLM as the only model endpoint with the user's
identity forwarded, Keycloak groups deciding access, code run only in the browser, and the
foundation's, keycloak's and postgres' Open WebUI entries following the open_webui wave.
"""

import re
from pathlib import Path

import pytest
import yaml

from helpers.playbook import run_tasks
from helpers.role_render import render_role_objects

REPO = Path(__file__).resolve().parents[3]
DIGEST = "@sha256:" + "a" * 64
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "litellm", "open_webui"],
    "dify_platform_images": {"open_webui": "harbor.example.test/p/open-webui" + DIGEST},
}
TEMPLATES = ("networkpolicies.yml.j2", "open-webui.yml.j2")


def render(**overrides):
    return render_role_objects("open_webui", TEMPLATES, dict(BASE, **overrides))


def pod_of(objects):
    return objects[("Deployment", "open-webui")]["spec"]["template"]["spec"]


def env_of(objects):
    return dict((item["name"], item) for item in pod_of(objects)["containers"][0]["env"])


def value(env, name):
    return env[name]["value"]


@pytest.fixture(scope="module")
def default():
    return render()


def test_restricted_with_no_fixed_ids_and_every_writable_path_a_volume(default):
    deployment = default[("Deployment", "open-webui")]
    pod = pod_of(default)
    assert not re.search(r'"(runAsUser|runAsGroup|fsGroup)"', yaml.safe_dump(pod).replace(" ", ""))
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "open-webui"
    container = pod["containers"][0]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert container["image"].endswith(DIGEST)
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    # DATA_DIR on the PVC; STATIC_DIR (written at every start) and HOME/tmp on emptyDirs.
    env = env_of(default)
    assert volumes[mounts[value(env, "DATA_DIR")]]["persistentVolumeClaim"] == {"claimName": "open-webui-data"}
    assert value(env, "STATIC_DIR").startswith("/var/lib/open-webui/") and "emptyDir" in volumes[mounts["/var/lib/open-webui"]]
    assert value(env, "HOME") == "/tmp" and "emptyDir" in volumes[mounts["/tmp"]]
    # A ReadWriteOnce PVC: one pod, replaced rather than surged.
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert default[("PersistentVolumeClaim", "open-webui-data")]["spec"]["accessModes"] == ["ReadWriteOnce"]
    resources = container["resources"]
    assert set(resources) == {"requests", "limits"} and all(set(resources[k]) == {"cpu", "memory"} for k in resources)


def test_the_pod_waits_for_its_database_before_open_webui_starts(default):
    # Open WebUI exits at its first database error at start; a container restarted by the kubelet
    # then waits out a growing back-off. The init container waits in the pod instead, on the very
    # host and port of DATABASE_URL, with the program's own image and the same restricted context.
    pod = pod_of(default)
    [wait] = pod["initContainers"]
    container = pod["containers"][0]
    database_url = value(env_of(default), "DATABASE_URL")
    host, port = wait["command"][-2:]
    assert database_url.endswith("@%s:%s/open_webui" % (host, port)) and host == "dify-platform-pg-rw" and port == "5432"
    assert wait["command"][:2] == ["python3", "-c"] and "socket.create_connection((host, port), 3)" in wait["command"][2]
    assert wait["image"] == container["image"] and wait["securityContext"] == container["securityContext"]
    assert wait["resources"] == container["resources"]


def test_secrets_are_references_never_values(default):
    env = env_of(default)
    assert env["WEBUI_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-open-webui", "key": "secret-key"}
    assert env["OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-oidc-open-webui", "key": "client-secret"}
    assert env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-db-open-webui", "key": "password"}
    # Open WebUI's own virtual key (made by the litellm role's pod), never LiteLLM's master key.
    assert env["LITELLM_KEY_VALUE"]["valueFrom"]["secretKeyRef"] == {
        "name": "dify-platform-open-webui-litellm", "key": "api-key"}
    refs = [item["valueFrom"]["secretKeyRef"] for item in env.values() if "secretKeyRef" in item.get("valueFrom", {})]
    assert not [ref for ref in refs if ref["name"] == "dify-platform-litellm" or ref["key"] == "master-key"], refs
    assert value(env, "DATABASE_URL") == "postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@dify-platform-pg-rw:5432/open_webui"
    assert value(env, "OPENAI_API_KEYS") == "sk-$(LITELLM_KEY_VALUE)"
    for name, item in env.items():
        if re.search(r"(SECRET|PASSWORD)", name) and "_AUTH" not in name and "COOKIE" not in name:
            assert "valueFrom" in item, name
    assert not [obj for obj in default.values() if obj["kind"] == "Secret"]


def test_sign_in_only_through_keycloak(default):
    env = env_of(default)
    assert {name: value(env, name) for name in ("WEBUI_AUTH", "ENABLE_SIGNUP", "ENABLE_LOGIN_FORM", "ENABLE_PASSWORD_AUTH", "ENABLE_OAUTH_SIGNUP")} == {
        "WEBUI_AUTH": "true", "ENABLE_SIGNUP": "false", "ENABLE_LOGIN_FORM": "false", "ENABLE_PASSWORD_AUTH": "false", "ENABLE_OAUTH_SIGNUP": "true"}
    assert env["OIDC_ISSUER_URL"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-oidc-open-webui", "key": "issuer-url"}
    assert value(env, "OPENID_PROVIDER_URL") == "$(OIDC_ISSUER_URL)/.well-known/openid-configuration"
    assert value(env, "OPENID_REDIRECT_URI") == "https://chat.apps.example.test/oauth/oidc/callback"
    assert value(env, "OAUTH_CODE_CHALLENGE_METHOD") == "S256"
    # The environment wins over what an admin changed in the UI, at every start.
    assert value(env, "ENABLE_PERSISTENT_CONFIG") == "false"
    # The kubelet expands $(VAR) only for variables defined earlier in the list.
    names = list(env)
    assert names.index("OIDC_ISSUER_URL") < names.index("OPENID_PROVIDER_URL")
    assert names.index("DATABASE_PASSWORD") < names.index("DATABASE_URL")
    assert names.index("LITELLM_KEY_VALUE") < names.index("OPENAI_API_KEYS")


def test_litellm_is_the_only_model_endpoint_and_knows_who_calls(default):
    env = env_of(default)
    assert value(env, "OPENAI_API_BASE_URLS") == "http://litellm:4000/v1"
    assert value(env, "ENABLE_OLLAMA_API") == "false" and value(env, "ENABLE_DIRECT_CONNECTIONS") == "false"
    assert value(env, "ENABLE_FORWARD_USER_INFO_HEADERS") == "true"
    assert "OLLAMA_BASE_URL" not in env and "OPENAI_API_BASE_URL" not in env
    # No model inside the pod, and nothing fetched from the internet.
    assert value(env, "BYPASS_EMBEDDING_AND_RETRIEVAL") == "true" and value(env, "OFFLINE_MODE") == "true"
    assert value(env_of(render(open_webui_forward_user_info=False)), "ENABLE_FORWARD_USER_INFO_HEADERS") == "false"


def test_code_runs_only_in_the_browser(default):
    env = env_of(default)
    assert value(env, "CODE_EXECUTION_ENGINE") == "pyodide" and value(env, "CODE_INTERPRETER_ENGINE") == "pyodide"
    assert not [name for name in env if "JUPYTER" in name]


def test_keycloak_groups_decide_access_and_become_open_webui_groups(default):
    env = env_of(default)
    assert value(env, "OAUTH_GROUPS_CLAIM") == "groups" and value(env, "OAUTH_ROLES_CLAIM") == "groups"
    assert value(env, "ENABLE_OAUTH_GROUP_MANAGEMENT") == "true" and value(env, "ENABLE_OAUTH_ROLE_MANAGEMENT") == "true"
    assert value(env, "OAUTH_ALLOWED_ROLES") == "*" and value(env, "OAUTH_ADMIN_ROLES") == ""
    assert value(env, "DEFAULT_USER_ROLE") == "user"
    env = env_of(render(open_webui_allowed_groups=["chat-users"], open_webui_admin_groups=["chat-admins"]))
    assert value(env, "OAUTH_ALLOWED_ROLES") == "chat-users,chat-admins" and value(env, "OAUTH_ADMIN_ROLES") == "chat-admins"
    # Someone whose token carries no groups waits for an admin.
    assert value(env, "DEFAULT_USER_ROLE") == "pending"


def test_route_service_and_egress_to_the_issuer(default):
    route = default[("Route", "open-webui")]
    assert route["spec"]["host"] == "chat.apps.example.test" and route["spec"]["to"]["name"] == "open-webui"
    assert route["spec"]["tls"]["termination"] == "edge"
    assert route["metadata"]["annotations"]["haproxy.router.openshift.io/timeout"] == "600s"
    assert default[("Service", "open-webui")]["spec"]["ports"][0]["port"] == 8080
    policy = default[("NetworkPolicy", "open-webui-egress-oidc")]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "open-webui"}}
    assert policy["egress"] == [{"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8443}]}]


def test_a_changed_secret_rolls_the_pod():
    fingerprints = [pod_of_template(render(__open_webui_secrets_fingerprint=f)) for f in ("", "0123456789abcdef")]
    assert "annotations" not in fingerprints[0]
    assert fingerprints[1]["annotations"] == {"airgap.dify-platform/secrets-fingerprint": "0123456789abcdef"}


def pod_of_template(objects):
    return objects[("Deployment", "open-webui")]["spec"]["template"]["metadata"]


def wave_entries(components):
    """What foundation, keycloak and postgres derive from the enabled waves."""
    role = REPO / "roles"
    tasks = [
        {"name": "foundation vars", "ansible.builtin.include_vars": {"file": str(role / "foundation" / "vars" / "main.yml")}},
        {"name": "keycloak defaults", "ansible.builtin.include_vars": {"file": str(role / "keycloak" / "defaults" / "main.yml")}},
        {"name": "postgres defaults", "ansible.builtin.include_vars": {"file": str(role / "postgres" / "defaults" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": {"dify_platform_components": components, "dify_platform_domain": "apps.example.test"}},
        {"name": "render", "ansible.builtin.debug": {"msg": {
            "workloads": "{{ __foundation_workloads }}",
            "flows": "{{ __foundation_flows }}",
            "router": "{{ __foundation_ingress_from_router }}",
            "secrets": "{{ __foundation_generated_secrets }}",
            # {} when off: before ansible-core 2.19 a template of `none` alone renders as ''.
            "client": "{{ keycloak_open_webui_client if keycloak_open_webui_client_enabled | bool else {} }}",
            "database": "{{ postgres_open_webui_database if postgres_open_webui_enabled | bool else {} }}",
        }}},
    ]
    return run_tasks(tasks).result("render")["msg"]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_other_waves_add_open_webui_only_with_its_wave(enabled):
    result = wave_entries(["foundation", "keycloak", "postgres", "litellm"] + (["open_webui"] if enabled else []))
    assert ("open-webui" in result["workloads"]) is enabled
    assert ({"from": "open-webui", "to": "postgres", "port": 5432} in result["flows"]) is enabled
    assert ({"from": "open-webui", "to": "litellm", "port": 4000} in result["flows"]) is enabled
    assert ({"to": "open-webui", "port": 8080} in result["router"]) is enabled
    secrets = {secret["name"]: secret for secret in result["secrets"]}
    assert ("dify-platform-open-webui" in secrets) is enabled
    if not enabled:
        assert result["client"] == {} and result["database"] == {}
        return
    assert secrets["dify-platform-db-open-webui"]["username"] == "open_webui"
    assert result["database"] == {"name": "open_webui", "owner": "open_webui", "secret": "dify-platform-db-open-webui"}
    assert result["client"]["client_id"] == "open-webui"
    assert result["client"]["redirect_uris"] == ["https://chat.apps.example.test/oauth/oidc/callback"]
