"""Every role's workload templates, rendered for several scenarios in one ansible-playbook run.

The templates are rendered as tests/helpers/role_render.py renders them (the
``template`` lookup; a template finds its imports beside it, then among the
shared templates of roles/dify_platform/templates), with every role's
defaults and vars layered under each scenario's variables. Each scenario is
one task of the same play, so the run costs one Ansible start-up.

Also here: what the tests read from the rendered objects (pod specs and the
quantities of their resources).
"""

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import yaml

from helpers.paths import REPO
from helpers.playbook import run_tasks

ROLES_DIR = REPO / "roles"
SHARED_TEMPLATES = ROLES_DIR / "dify_platform" / "templates"
NAMESPACE = "ai"

# Every template that makes pods (directly, or through an operator's custom
# resource that carries their resources), by role, as the role's tasks apply them.
WORKLOADS = {
    "redis": ("redis.yml.j2",),
    "langfuse": ("clickhouse.yml.j2", "redis.yml.j2", "s3.yml.j2", "migrate.yml.j2", "langfuse.yml.j2"),
    "dify": ("config.yml.j2", "migrate.yml.j2", "workloads.yml.j2"),
    "oauth2_proxy": ("oauth2-proxy.yml.j2",),
    "litellm": ("config.yml.j2", "migrate.yml.j2", "litellm.yml.j2"),
    "observability": ("collector.yml.j2",),
}
# Kinds whose objects hold a pod template, and where.
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def manifest_images():
    """A reference pinned by a made-up digest for every image of the release manifest."""
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    return dict((key, "harbor.example.test/dify-platform/%s@sha256:%s" % (key, "c" * 64)) for key in manifest["images"])


def _read_yaml(path):
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def layered_vars():
    """What every role sees: platform defaults < role defaults < platform vars < role vars.

    Task vars rather than include_vars, which would outrank the scenarios' task vars.
    """
    platform = ROLES_DIR / "dify_platform"
    merged = dict(_read_yaml(platform / "defaults" / "main.yml"))
    for role in WORKLOADS:
        merged.update(_read_yaml(ROLES_DIR / role / "defaults" / "main.yml"))
    merged.update(_read_yaml(platform / "vars" / "main.yml"))
    for role in WORKLOADS:
        merged.update(_read_yaml(ROLES_DIR / role / "vars" / "main.yml"))
    return merged


@contextmanager
def _template_dirs():
    """Per role, a directory holding the role's templates and the shared ones side by side."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {}
        for role in WORKLOADS:
            directory = Path(tmp) / role
            directory.mkdir()
            sources = list((ROLES_DIR / role / "templates").iterdir())
            if SHARED_TEMPLATES.is_dir():
                sources += list(SHARED_TEMPLATES.iterdir())
            for source in sources:
                (directory / source.name).symlink_to(source)
            dirs[role] = directory
        yield dirs


def render_scenarios(scenarios):
    """{scenario name: [objects]} of every template of WORKLOADS, for each {name: variables}."""
    layered = layered_vars()
    with _template_dirs() as dirs:
        expression = "{{ %s }}" % " + ".join(
            "(lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list)" % (dirs[role] / name)
            for role, names in WORKLOADS.items() for name in names)
        tasks = [{"name": name, "ansible.builtin.debug": {"msg": expression}, "vars": dict(layered, **variables)}
                 for name, variables in scenarios.items()]
        play = run_tasks(tasks)
    rendered = {}
    for name in scenarios:
        result = play.result(name)
        # A failed render's message names the template and line; the objects are never quoted.
        assert not result.get("failed"), "%s: %s" % (name, result.get("msg") if isinstance(result.get("msg"), str) else play.stderr[-2000:])
        rendered[name] = result["msg"]
    return rendered


def pod_template(obj):
    """The pod template of a workload object, or None."""
    path = POD_TEMPLATE_PATHS.get(obj["kind"])
    if path is None:
        return None
    node = obj
    for key in path:
        node = node[key]
    return node


def containers(pod_spec):
    """Every container of a pod spec, init containers included."""
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def selects(selector, labels):
    """Whether a label selector (matchLabels and matchExpressions) selects ``labels``."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


_UNITS = {"": 1, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
          "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}


def quantity(value):
    """A Kubernetes quantity (``500m``, ``2``, ``512Mi``, ``1.5Gi``) as a number."""
    match = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(value))
    assert match, "not a quantity: %r" % (value,)
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


BASE = {
    "dify_platform_registry": "harbor.example.test",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_namespace": NAMESPACE,
    "dify_platform_storage_class": "",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "langfuse", "dify", "oauth2_proxy", "litellm",
                                 "observability"],
    "dify_platform_images": manifest_images(),
    "dify_pip_index_url": "https://pypi.mirror.example.test/simple",
    "keycloak_mode": "external",
    "keycloak_url": "https://keycloak.idp.example.test",
}
# One scenario per sizing profile, together covering each option that adds or
# removes a workload or a volume: sandbox on and off, Dify's files on a
# ReadWriteMany PVC, a ReadWriteOnce PVC or S3, Langfuse's stores in the
# cluster or outside, two collector replicas.
SCENARIOS = {
    "medium": dict(BASE, dify_platform_size="medium", dify_platform_sandbox_enabled=True),
    "small": dict(BASE, dify_platform_size="small", dify_platform_sandbox_enabled=False,
                  dify_storage_access_mode="ReadWriteOnce",
                  langfuse_clickhouse_mode="external",
                  langfuse_clickhouse_url="https://clickhouse.data.example.test:8443",
                  langfuse_clickhouse_migration_url="clickhouse://clickhouse.data.example.test:9440",
                  langfuse_redis_mode="platform",
                  langfuse_s3_mode="external", langfuse_s3_endpoint="https://objects.data.example.test"),
    "large": dict(BASE, dify_platform_size="large", dify_platform_sandbox_enabled=True, observability_collector_replicas=2,
                  dify_storage_type="s3",
                  dify_s3={"endpoint": "https://s3.storage.example.test", "bucket": "dify", "credentials_secret": "dify-s3"}),
}
