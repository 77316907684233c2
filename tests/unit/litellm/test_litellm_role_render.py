"""The litellm role's templates, rendered by Ansible with the role's own defaults and vars (no cluster).

What is checked is what the cluster would receive: restricted-v2 security (no fixed UID, GID or
fsGroup), secrets referenced and never rendered, the model list with API keys as environment
references, the optional egress proxy and Langfuse callback, and the reencrypt variant.
"""

import json

import pytest
import yaml

from helpers.litellm_render import LITELLM_BASE
from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import PLATFORM_DEFAULTS, PLATFORM_VARS, SHARED_TEMPLATES, render_role_objects


BASE = dict(LITELLM_BASE, **{
    "litellm_models": [
        {"model_name": "gpt-4o", "model": "openai/gpt-4o", "api_key_secret": {"name": "openai", "key": "api-key"}},
        {"model_name": "llama", "model": "hosted_vllm/llama-3.1-70b", "api_base": "http://vllm.models.svc:8000/v1",
         "params": {"rpm": 100}},
    ],
})


def render(**overrides):
    """The role's objects, as the role builds them, for the given variables."""
    return render_role_objects("litellm", ("config.yml.j2", "migrate.yml.j2", "litellm.yml.j2"), dict(BASE, **overrides))


def migration_job(objects):
    jobs = [obj for (kind, _name), obj in objects.items() if kind == "Job"]
    assert len(jobs) == 1
    return jobs[0]


def config_hash(objects):
    return objects[("Deployment", "litellm")]["spec"]["template"]["metadata"]["annotations"]["airgap.dify-platform/config-hash"]


@pytest.fixture(scope="module")
def edge():
    return render()


def env_of(container):
    return dict((item["name"], item) for item in container["env"])


def test_restricted_v2_and_no_fixed_ids(edge):
    for workload in (edge[("Deployment", "litellm")], migration_job(edge)):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "litellm"
        container = pod["containers"][0]
        assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}}
        text = json.dumps(pod)
        for forbidden in ("runAsUser", "runAsGroup", "fsGroup", "privileged"):
            assert forbidden not in text
        assert container["image"].endswith("@sha256:" + "a" * 64)


def test_secrets_are_referenced_never_rendered(edge):
    env = env_of(edge[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0])
    assert env["LITELLM_MASTER_KEY_VALUE"]["valueFrom"] == {"secretKeyRef": {"name": "dify-platform-litellm", "key": "master-key"}}
    assert env["LITELLM_MASTER_KEY"]["value"] == "sk-$(LITELLM_MASTER_KEY_VALUE)"
    # The salt key has a Secret of its own: rotating the master key never replaces it (issue 14, defect 13).
    assert env["LITELLM_SALT_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "dify-platform-litellm-salt", "key": "salt-key"}}
    assert env["DATABASE_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "dify-platform-db-litellm", "key": "password"}}
    assert env["DATABASE_URL"]["value"] == ("postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@dify-platform-pg-rw:5432/"
                                            "litellm?connection_limit=20")
    assert env["DISABLE_SCHEMA_UPDATE"]["value"] == "true"
    assert env["LITELLM_MODEL_KEY_0"]["valueFrom"] == {"secretKeyRef": {"name": "openai", "key": "api-key"}}
    names = [item["name"] for item in edge[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert names.index("LITELLM_MASTER_KEY_VALUE") < names.index("LITELLM_MASTER_KEY"), "$(VAR) needs VAR defined first"
    assert names.index("DATABASE_PASSWORD") < names.index("DATABASE_URL")
    job_env = env_of(migration_job(edge)["spec"]["template"]["spec"]["containers"][0])
    assert "DISABLE_SCHEMA_UPDATE" not in job_env, "the migration Job must migrate"


def test_config_holds_the_model_list_with_key_references(edge):
    config = yaml.safe_load(edge[("ConfigMap", "litellm-config")]["data"]["config.yaml"])
    assert config["model_list"] == [
        {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/LITELLM_MODEL_KEY_0"}},
        {"model_name": "llama", "litellm_params": {"model": "hosted_vllm/llama-3.1-70b",
                                                   "api_base": "http://vllm.models.svc:8000/v1", "rpm": 100}},
    ]
    assert config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY",
                                          "database_url": "os.environ/DATABASE_URL"}
    assert "success_callback" not in config["litellm_settings"]


def test_probes_and_route(edge):
    container = edge[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": "http", "scheme": "HTTP"}
    route = edge[("Route", "litellm")]["spec"]
    assert route["host"] == "litellm.apps.example.test" and route["tls"]["termination"] == "edge"
    assert edge[("Deployment", "litellm")]["spec"]["template"]["metadata"]["annotations"].keys() == {
        "airgap.dify-platform/config-hash"}


def test_a_new_model_rolls_the_proxy_and_a_new_environment_gets_its_own_migration_job(edge):
    """The config hash follows the model list; the Job's name follows the environment (its template is immutable)."""
    job_name = migration_job(edge)["metadata"]["name"]
    assert job_name.startswith("litellm-migrate-") and len(job_name) == len("litellm-migrate-") + 10
    more_models = render(litellm_models=BASE["litellm_models"] + [{"model_name": "small", "model": "openai/gpt-4o-mini"}])
    assert config_hash(more_models) != config_hash(edge)
    assert migration_job(more_models)["metadata"]["name"] == job_name
    traced = render(litellm_langfuse_enabled=True, litellm_langfuse_host="https://langfuse.example.test")
    assert migration_job(traced)["metadata"]["name"] != job_name
    assert config_hash(render()) == config_hash(edge)


def test_egress_proxy_langfuse_and_reencrypt():
    objects = render(litellm_egress_proxy="http://proxy.example.test:3128", litellm_no_proxy=["vllm.models.svc"],
                     litellm_langfuse_enabled=True, litellm_langfuse_host="https://langfuse.example.test",
                     litellm_route_tls_termination="reencrypt", litellm_route_enabled=True)
    pod = objects[("Deployment", "litellm")]["spec"]["template"]["spec"]
    env = env_of(pod["containers"][0])
    assert env["HTTPS_PROXY"]["value"] == "http://proxy.example.test:3128"
    no_proxy = env["NO_PROXY"]["value"].split(",")
    assert {"vllm.models.svc", "dify-platform-pg-rw", ".svc", "localhost"} <= set(no_proxy)
    assert env["LANGFUSE_HOST"] == {"name": "LANGFUSE_HOST", "value": "https://langfuse.example.test"}
    assert env["LANGFUSE_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse-api", "key": "public_key"}
    config = yaml.safe_load(objects[("ConfigMap", "litellm-config")]["data"]["config.yaml"])
    assert config["litellm_settings"]["success_callback"] == ["langfuse"]
    assert "--ssl_certfile_path=/etc/litellm-tls/tls.crt" in pod["containers"][0]["args"]
    assert pod["containers"][0]["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    service = objects[("Service", "litellm")]
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == "litellm-tls"


def test_langfuse_callback_follows_the_langfuse_wave():
    """With the langfuse wave enabled the callback is on, keys and URL read from the Secret the langfuse role creates."""
    objects = render(dify_platform_components=["foundation", "postgres", "langfuse", "litellm"])
    env = env_of(objects[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0])
    assert {name: env[name]["valueFrom"]["secretKeyRef"] for name in ("LANGFUSE_HOST", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY")} == {
        "LANGFUSE_HOST": {"name": "dify-platform-langfuse-api", "key": "host"},
        "LANGFUSE_PUBLIC_KEY": {"name": "dify-platform-langfuse-api", "key": "public_key"},
        "LANGFUSE_SECRET_KEY": {"name": "dify-platform-langfuse-api", "key": "secret_key"}}
    config = yaml.safe_load(objects[("ConfigMap", "litellm-config")]["data"]["config.yaml"])
    assert config["litellm_settings"]["success_callback"] == ["langfuse"]
    assert config["litellm_settings"]["failure_callback"] == ["langfuse"]
    off = render(dify_platform_components=["foundation", "postgres", "langfuse", "litellm"], litellm_langfuse_enabled=False)
    assert "LANGFUSE_PUBLIC_KEY" not in env_of(off[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0])
    assert "success_callback" not in yaml.safe_load(off[("ConfigMap", "litellm-config")]["data"]["config.yaml"])["litellm_settings"]


def test_route_can_be_left_out():
    assert ("Route", "litellm") not in render(litellm_route_enabled=False)


def litellm_settings(objects):
    config = yaml.safe_load(objects[("ConfigMap", "litellm-config")]["data"]["config.yaml"])
    return config["litellm_settings"]


def test_prometheus_metrics_follow_the_observability_wave_with_budget_gauges_from_start_up():
    settings = litellm_settings(render(litellm_prometheus_enabled=True))
    assert "prometheus" in settings["callbacks"] and settings["prometheus_initialize_budget_metrics"] is True
    assert "prometheus_initialize_budget_metrics" not in litellm_settings(render(litellm_prometheus_enabled=False))
    chosen = litellm_settings(render(litellm_prometheus_enabled=True,
                                     litellm_settings={"prometheus_initialize_budget_metrics": False}))
    assert chosen["prometheus_initialize_budget_metrics"] is False


def test_the_proxy_makes_open_webuis_virtual_key_only_with_the_open_webui_wave(edge):
    """Open WebUI's key is made by the proxy's own pod (postStart, loopback, the master key it holds), from the
    Secret the foundation wave generates, limited to litellm_models; without the wave nothing of it is rendered."""
    components = ["foundation", "postgres", "litellm", "open_webui"]
    objects = render(dify_platform_components=components, __litellm_workload_keys_fingerprint="0123456789abcdef")
    data = objects[("ConfigMap", "litellm-config")]["data"]
    assert json.loads(data["workload-keys.json"]) == [
        {"alias": "open-webui", "env": "LITELLM_WORKLOAD_KEY_0", "models": ["gpt-4o", "llama"], "per_person": True}]
    with open("roles/litellm/templates/workload_keys.py", encoding="utf-8") as handle:
        assert data["workload_keys.py"].strip() == handle.read().strip(), "the hook's script is rendered verbatim"
    template = objects[("Deployment", "litellm")]["spec"]["template"]
    assert template["metadata"]["annotations"]["airgap.dify-platform/workload-keys"] == "0123456789abcdef"
    container = template["spec"]["containers"][0]
    assert container["lifecycle"] == {"postStart": {"exec": {"command": ["python3", "/etc/litellm/workload_keys.py"]}}}
    env = env_of(container)
    assert env["LITELLM_WORKLOAD_KEY_0_VALUE"]["valueFrom"]["secretKeyRef"] == {
        "name": "dify-platform-open-webui-litellm", "key": "api-key"}
    assert env["LITELLM_WORKLOAD_KEY_0"]["value"] == "sk-$(LITELLM_WORKLOAD_KEY_0_VALUE)"
    assert env["LITELLM_WORKLOAD_KEYS_URL"]["value"] == "http://127.0.0.1:4000"
    # The migration Job is not touched by the keys (its name, from its environment, stays the same).
    assert migration_job(objects)["metadata"]["name"] == migration_job(render(dify_platform_components=components))[
        "metadata"]["name"]
    # Models narrowed by the operator; the reencrypt variant reaches its own loopback over TLS.
    narrowed = render(dify_platform_components=components, dify_platform_route_tls_termination="reencrypt",
                      litellm_workload_keys=[{"alias": "open-webui", "secret": "s", "secret_key": "k", "models": ["llama"]}])
    assert json.loads(narrowed[("ConfigMap", "litellm-config")]["data"]["workload-keys.json"])[0]["models"] == ["llama"]
    assert env_of(narrowed[("Deployment", "litellm")]["spec"]["template"]["spec"]["containers"][0])[
        "LITELLM_WORKLOAD_KEYS_URL"]["value"] == "https://127.0.0.1:4000"
    # Without the open_webui wave: no key, no hook, no extra environment.
    assert "workload-keys.json" not in edge[("ConfigMap", "litellm-config")]["data"]
    plain = edge[("Deployment", "litellm")]["spec"]["template"]
    assert "lifecycle" not in plain["spec"]["containers"][0]
    assert not [name for name in env_of(plain["spec"]["containers"][0]) if "WORKLOAD" in name]


def test_model_access_hook_follows_the_open_webui_wave_beside_the_config_and_rolls_the_proxy(edge):
    """The model-access hook (model_access.py) is in the proxy's ConfigMap beside config.yaml, where LiteLLM loads
    ``model_access.hook`` from (get_instance_fn, v1.104.2), listed in litellm_settings.callbacks after the others; a
    change of the hook's text changes the config hash, which rolls the proxy's pods."""
    components = ["foundation", "postgres", "litellm", "open_webui"]
    objects = render(dify_platform_components=components, litellm_prometheus_enabled=True)
    data = objects[("ConfigMap", "litellm-config")]["data"]
    with open("roles/litellm/templates/model_access.py", encoding="utf-8") as handle:
        assert data["model_access.py"].strip() == handle.read().strip(), "the hook is rendered verbatim"
    assert litellm_settings(objects)["callbacks"] == ["prometheus", "model_access.hook"]
    # Off by choice, and off without the wave: no file, no callback.
    for off in (render(dify_platform_components=components, litellm_model_access_enabled=False), edge):
        assert "model_access.py" not in off[("ConfigMap", "litellm-config")]["data"]
        assert "model_access.hook" not in litellm_settings(off).get("callbacks", [])
    # An operator's own callbacks are kept.
    mine = render(dify_platform_components=components, litellm_settings={"callbacks": ["custom.handler"]})
    assert litellm_settings(mine)["callbacks"] == ["custom.handler", "model_access.hook"]


def test_a_changed_hook_rolls_the_proxy(tmp_path):
    """The hook's text is part of the config hash in the pod template: a new hook, new pods. Rendered as
    render_role_objects renders (the role's and the shared templates side by side), with model_access.py changed."""
    components = ["foundation", "postgres", "litellm", "open_webui"]
    before = config_hash(render(dify_platform_components=components))
    role = REPO / "roles" / "litellm"
    for source in list((role / "templates").iterdir()) + list(SHARED_TEMPLATES.iterdir()):
        (tmp_path / source.name).symlink_to(source)
    (tmp_path / "model_access.py").unlink()
    (tmp_path / "model_access.py").write_text((role / "templates" / "model_access.py").read_text() + "\n# a new rule\n")
    tasks = [{"ansible.builtin.include_vars": {"file": str(path)}} for path in (
        PLATFORM_DEFAULTS, PLATFORM_VARS, role / "vars" / "main.yml", role / "defaults" / "main.yml")]
    tasks.append({"ansible.builtin.set_fact": dict(BASE, dify_platform_components=components)})
    tasks.append({"name": "render", "ansible.builtin.debug": {"msg": "{{ %s }}" % " + ".join(
        "(lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list)" % (tmp_path / name)
        for name in ("config.yml.j2", "litellm.yml.j2"))}})
    play = run_tasks(tasks)
    result = play.result("render")
    assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    objects = dict(((obj["kind"], obj["metadata"]["name"]), obj) for obj in result["msg"])
    assert objects[("ConfigMap", "litellm-config")]["data"]["model_access.py"].rstrip().endswith("# a new rule")
    assert config_hash(objects) != before
