"""The langfuse role's templates, rendered by Ansible with the role's own defaults and vars (no cluster).

What is checked is what the cluster would receive: restricted-v2 security (no fixed UID, GID or
fsGroup, read-only root filesystem), secrets referenced and never rendered, the backing-service
modes (ClickHouse StatefulSet or external, own or platform Redis, in-cluster or external S3), the
keys created once in Langfuse's formats, and the foundation's Langfuse entries following the
langfuse wave.
"""

import re
from pathlib import Path

import pytest
import yaml

from helpers.playbook import run_tasks
from helpers.role_render import PLATFORM_VARS, render_role_objects

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "langfuse"
FOUNDATION_VARS = REPO / "roles" / "foundation" / "vars" / "main.yml"
DIGEST = "@sha256:" + "a" * 64

BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "langfuse", "dify", "litellm"],
    "dify_platform_images": {
        name: "harbor.example.test/p/%s%s" % (name, DIGEST) for name in ("langfuse", "langfuse_worker", "clickhouse", "redis", "seaweedfs")
    },
}
TEMPLATES = ("clickhouse.yml.j2", "redis.yml.j2", "s3.yml.j2", "networkpolicies.yml.j2", "migrate.yml.j2", "langfuse.yml.j2")


def render(**overrides):
    """The role's objects, as the role builds them, for the given variables."""
    return render_role_objects("langfuse", TEMPLATES, dict(BASE, **overrides))


def env_of(container):
    return dict((item["name"], item) for item in container["env"])


def containers(objects, kind, name):
    return objects[(kind, name)]["spec"]["template"]["spec"]["containers"]


@pytest.fixture(scope="module")
def default():
    return render()


def test_every_workload_is_restricted_with_no_fixed_ids(default):
    workloads = [obj for obj in default.values() if obj["kind"] in ("Deployment", "StatefulSet")]
    assert sorted(obj["metadata"]["name"] for obj in workloads) == ["langfuse-clickhouse", "langfuse-redis", "langfuse-s3", "langfuse-web", "langfuse-worker"]
    for obj in workloads:
        pod = obj["spec"]["template"]["spec"]
        assert not re.search(r'"(runAsUser|runAsGroup|fsGroup)"', yaml.safe_dump(pod).replace(" ", "")), obj["metadata"]["name"]
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == obj["metadata"]["name"]
        assert obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == obj["metadata"]["name"]
        for container in pod["containers"]:
            assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
            assert "@sha256:" in container["image"]
            # Every writable path is a volume: /tmp at least.
            assert "/tmp" in [mount["mountPath"] for mount in container["volumeMounts"]]


def test_secrets_are_references_and_urls_point_at_the_in_cluster_services(default):
    for name in ("langfuse-web", "langfuse-worker"):
        env = env_of(containers(default, "Deployment", name)[0])
        for variable in env.values():
            if re.search(r"(SECRET|PASSWORD|SALT|ENCRYPTION|_KEY$|_KEY_ID$)", variable["name"]) and variable["name"] != "AUTH_DISABLE_USERNAME_PASSWORD":
                assert "valueFrom" in variable, variable
        assert env["ENCRYPTION_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse-encryption", "key": "encryption-key"}
        assert env["SALT"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse", "key": "salt"}
        assert env["DATABASE_URL"]["value"] == "postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@dify-platform-pg-rw:5432/langfuse"
        assert env["CLICKHOUSE_URL"]["value"] == "http://langfuse-clickhouse.ai.svc:8123"
        assert env["CLICKHOUSE_MIGRATION_URL"]["value"] == "clickhouse://langfuse-clickhouse.ai.svc:9000"
        assert env["REDIS_CONNECTION_STRING"]["value"] == "redis://:$(REDIS_PASSWORD)@langfuse-redis:6379/0"
        assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "dify-platform-langfuse-redis"
        assert env["LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT"]["value"] == "http://langfuse-s3.ai.svc:8333"
        assert env["LANGFUSE_S3_EVENT_UPLOAD_PREFIX"]["value"] == "events/"
        assert env["LANGFUSE_S3_MEDIA_UPLOAD_PREFIX"]["value"] == "media/"
        assert "LANGFUSE_S3_BATCH_EXPORT_BUCKET" not in env
        assert env["NODE_EXTRA_CA_CERTS"]["value"] == "/etc/pki/dify-platform/ca-bundle.crt"
        assert env["TELEMETRY_ENABLED"]["value"] == "false"
        # $(VAR) references resolve only to variables defined earlier in the list.
        names = [variable["name"] for variable in containers(default, "Deployment", name)[0]["env"]]
        for position, variable in enumerate(containers(default, "Deployment", name)[0]["env"]):
            for reference in re.findall(r"\$\((\w+)\)", variable.get("value", "")):
                assert reference in names[:position], (variable["name"], reference)


def test_web_initialises_the_project_and_signs_in_through_keycloak(default):
    env = env_of(containers(default, "Deployment", "langfuse-web")[0])
    assert env["LANGFUSE_INIT_PROJECT_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse-api", "key": "public_key"}
    assert env["LANGFUSE_INIT_PROJECT_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse-api", "key": "secret_key"}
    assert env["LANGFUSE_INIT_PROJECT_ID"]["value"] == env["LANGFUSE_DEFAULT_PROJECT_ID"]["value"] == "dify-platform"
    assert env["AUTH_KEYCLOAK_ISSUER"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-oidc-langfuse", "key": "issuer-url"}
    assert env["AUTH_DISABLE_USERNAME_PASSWORD"]["value"] == "true"
    assert env["NEXTAUTH_URL"]["value"] == "https://langfuse.apps.example.test"
    assert env["HOSTNAME"]["value"] == "0.0.0.0"  # noqa: S104 - the pod listens on its own interfaces
    worker = env_of(containers(default, "Deployment", "langfuse-worker")[0])
    assert not [name for name in worker if name.startswith(("LANGFUSE_INIT_", "AUTH_"))]
    route = default[("Route", "langfuse")]["spec"]
    assert route["host"] == "langfuse.apps.example.test"
    assert route["tls"]["termination"] == "edge" and route["to"]["name"] == "langfuse-web"


def migration_job(objects):
    [job] = [obj for (kind, _name), obj in objects.items() if kind == "Job"]
    return job


def test_the_migration_runs_in_a_job_of_the_web_image_and_never_in_a_serving_pod(default):
    job = migration_job(default)
    assert re.fullmatch(r"langfuse-migrate-[0-9a-f]{10}", job["metadata"]["name"])
    spec = job["spec"]
    assert spec["backoffLimit"] == 3 and "ttlSecondsAfterFinished" not in spec
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert not re.search(r'"(runAsUser|runAsGroup|fsGroup)"', yaml.safe_dump(pod).replace(" ", ""))
    assert spec["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == "langfuse-migrate"
    [container] = pod["containers"]
    web = containers(default, "Deployment", "langfuse-web")[0]
    # The web image's own entrypoint (dumb-init -- ./web/entrypoint.sh) with its migrations on, then `true`.
    assert container["image"] == web["image"] and "command" not in container and container["args"] == ["true"]
    assert container["securityContext"] == web["securityContext"]
    assert container["resources"] == web["resources"] and container["resources"]["limits"]
    env = env_of(container)
    assert not [name for name in env if name.startswith("LANGFUSE_AUTO_")], "the Job must migrate"
    assert env["DATABASE_URL"] == env_of(web)["DATABASE_URL"]
    assert env["CLICKHOUSE_MIGRATION_URL"]["value"] == "clickhouse://langfuse-clickhouse.ai.svc:9000"
    assert env["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "dify-platform-langfuse-clickhouse"
    # Only what the migrations read: no Redis, no object store, no sign-in.
    assert not [name for name in env if name.startswith(("REDIS", "LANGFUSE_S3", "AUTH_", "NEXTAUTH", "SALT", "ENCRYPTION"))]
    # The serving pods skip both migrations.
    for name in ("langfuse-web",):
        served = env_of(containers(default, "Deployment", name)[0])
        assert served["LANGFUSE_AUTO_POSTGRES_MIGRATION_DISABLED"]["value"] == "true"
        assert served["LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED"]["value"] == "true"


def test_a_new_web_image_is_a_new_migration_job(default):
    again = migration_job(render())
    assert again["metadata"]["name"] == migration_job(default)["metadata"]["name"]
    images = dict(BASE["dify_platform_images"], langfuse="harbor.example.test/p/langfuse@sha256:" + "b" * 64)
    bumped = migration_job(render(dify_platform_images=images))
    assert bumped["metadata"]["name"] != migration_job(default)["metadata"]["name"]
    assert bumped["spec"]["template"]["spec"]["containers"][0]["image"].endswith("b" * 64)


def test_clickhouse_runs_without_its_entrypoint_and_keeps_its_password_out_of_the_config(default):
    container = containers(default, "StatefulSet", "langfuse-clickhouse")[0]
    assert container["command"] == ["/usr/bin/clickhouse"]
    assert env_of(container)["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "dify-platform-langfuse-clickhouse"
    users = default[("ConfigMap", "langfuse-clickhouse")]["data"]["users.xml"]
    assert '<password from_env="CLICKHOUSE_PASSWORD"/>' in users
    assert "<langfuse>" in users and '<default remove="remove"/>' in users
    mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert {"/var/lib/clickhouse", "/etc/clickhouse-server/users.d/platform.xml"} <= mounts


def test_separate_redis_never_evicts(default):
    args = containers(default, "StatefulSet", "langfuse-redis")[0]["args"]
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"


def test_in_cluster_store_creates_its_bucket_and_reads_credentials_from_the_environment(default):
    container = containers(default, "StatefulSet", "langfuse-s3")[0]
    env = env_of(container)
    assert env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-langfuse-s3", "key": "access-key-id"}
    assert env["BUCKET"]["value"] == "langfuse"
    script = container["args"][0]
    assert "weed mini -dir=/data" in script and "s3.bucket.create -name ${BUCKET}" in script
    assert container["startupProbe"]["exec"]["command"] == ["cat", "/tmp/bucket-ready"]


def test_external_services_replace_the_in_cluster_ones():
    objects = render(
        langfuse_clickhouse_mode="external",
        langfuse_clickhouse_url="https://ch.example.test:8443",
        langfuse_clickhouse_migration_url="clickhouse://ch.example.test:9440",
        langfuse_clickhouse_migration_ssl=True,
        langfuse_s3_mode="external",
        langfuse_s3_endpoint="https://s3.example.test",
        langfuse_s3_credentials_secret="odf-bucket",
        langfuse_s3_access_key_id_key="AWS_ACCESS_KEY_ID",
        langfuse_s3_secret_access_key_key="AWS_SECRET_ACCESS_KEY",
        langfuse_redis_mode="platform",
        langfuse_egress_cidrs=["10.20.0.0/16"],
        langfuse_s3_batch_export_enabled=True,
    )
    assert sorted(name for kind, name in objects if kind in ("StatefulSet", "Deployment")) == ["langfuse-web", "langfuse-worker"]
    env = env_of(containers(objects, "Deployment", "langfuse-worker")[0])
    assert env["CLICKHOUSE_URL"]["value"] == "https://ch.example.test:8443"
    assert env["CLICKHOUSE_MIGRATION_URL"]["value"] == "clickhouse://ch.example.test:9440"
    assert env["CLICKHOUSE_MIGRATION_SSL"]["value"] == "true"
    assert env["LANGFUSE_S3_BATCH_EXPORT_ENDPOINT"]["value"] == "https://s3.example.test"
    assert env["LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "odf-bucket", "key": "AWS_SECRET_ACCESS_KEY"}
    # The platform's Redis for Langfuse is the broker (noeviction), never the evicting cache `redis`.
    assert env["REDIS_CONNECTION_STRING"]["value"] == "redis://:$(REDIS_PASSWORD)@redis-broker:6379/0"
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "dify-platform-redis-broker"
    egress = objects[("NetworkPolicy", "langfuse-worker-egress-external")]["spec"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]} in egress


def test_keys_are_rendered_in_langfuses_formats_with_fresh_values():
    def keys():
        tasks = [
            # The role depends on dify_platform: its vars (the common labels) are there in every run.
            {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
            {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(ROLE / "defaults" / "main.yml")}},
            {"name": "role vars", "ansible.builtin.include_vars": {"file": str(ROLE / "vars" / "main.yml")}},
            {"name": "inputs", "ansible.builtin.set_fact": BASE},
            {
                "name": "render",
                "ansible.builtin.debug": {
                    "msg": "{{ lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list }}" % (ROLE / "templates" / "keys.yml.j2")
                },
            },
        ]
        result = run_tasks(tasks).result("render")
        assert not result.get("failed"), result.get("msg")
        return dict((obj["metadata"]["name"], obj) for obj in result["msg"])

    both = keys()
    assert sorted(both) == ["dify-platform-langfuse-api", "dify-platform-langfuse-encryption"]
    api = both["dify-platform-langfuse-api"]["stringData"]
    assert sorted(api) == ["host", "public_key", "secret_key"]
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch("pk-lf-" + uuid, api["public_key"]) and re.fullmatch("sk-lf-" + uuid, api["secret_key"])
    assert api["host"] == "http://langfuse-web.ai.svc:3000"
    assert re.fullmatch(r"[0-9a-f]{64}", both["dify-platform-langfuse-encryption"]["stringData"]["encryption-key"])
    assert both["dify-platform-langfuse-api"]["metadata"]["labels"]["airgap.dify-platform/generated"] == "true"
    # Fresh values each time, so a value is never a constant of the template
    # (apply_wave create_only keeps the values of a Secret that exists).
    again = keys()
    assert again["dify-platform-langfuse-api"]["stringData"]["secret_key"] != api["secret_key"]


@pytest.mark.parametrize("enabled", [True, False])
def test_foundation_adds_langfuse_only_with_the_langfuse_wave(enabled):
    components = ["foundation", "postgres", "litellm"] + (["langfuse"] if enabled else [])
    tasks = [
        {"name": "foundation vars", "ansible.builtin.include_vars": {"file": str(FOUNDATION_VARS)}},
        {"name": "inputs", "ansible.builtin.set_fact": {"dify_platform_components": components}},
        {
            "name": "render",
            "ansible.builtin.debug": {
                "msg": {
                    "workloads": "{{ __foundation_workloads }}",
                    "flows": "{{ __foundation_flows }}",
                    "router": "{{ __foundation_ingress_from_router }}",
                    "secrets": "{{ __foundation_generated_secrets | map(attribute='name') | list }}",
                }
            },
        },
    ]
    result = run_tasks(tasks).result("render")["msg"]
    langfuse_secrets = {
        "dify-platform-langfuse",
        "dify-platform-db-langfuse",
        "dify-platform-langfuse-clickhouse",
        "dify-platform-langfuse-redis",
        "dify-platform-langfuse-s3",
    }
    assert "dify-platform-litellm" in result["secrets"] and "litellm" in result["workloads"]
    assert (langfuse_secrets <= set(result["secrets"])) is enabled
    assert ("langfuse-web" in result["workloads"]) is enabled
    assert ({"from": "litellm", "to": "langfuse-web", "port": 3000} in result["flows"]) is enabled
    assert ({"to": "langfuse-web", "port": 3000} in result["router"]) is enabled
    if not enabled:
        assert not [flow for flow in result["flows"] if "langfuse" in flow["from"] + flow["to"]]
