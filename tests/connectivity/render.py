"""Render every wave's templates for every option combination, in one ansible-playbook run.

The templates are rendered the way tests/helpers/role_render.py renders them (the
``template`` lookup, the platform's and each role's defaults and vars), but every
combination is one task of the same play, so the run costs one Ansible start-up.
The variables are task vars merged in Python (platform defaults < role defaults <
platform vars < role vars < the combination), since include_vars would outrank
task vars.
"""

import copy
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from helpers.paths import COLLECTIONS_ROOT, REPO
from helpers.playbook import ANSIBLE_PLAYBOOK
from helpers.role_render import SHARED_TEMPLATES

NAMESPACE = "ai"
DOMAIN = "apps.example.test"
# Addresses outside the cluster, chosen from the documentation ranges (RFC 5737): the
# networks the operator declares (foundation_egress_cidrs, langfuse_egress_cidrs),
# and the external hosts of the combinations, each with an address inside them.
EGRESS_CIDRS = ["198.51.100.0/24"]
LANGFUSE_EGRESS_CIDRS = ["203.0.113.0/25"]
EXTERNAL_HOSTS = {
    "s3.storage.example.test": "198.51.100.20",
    "pypi.mirror.example.test": "198.51.100.30",
    "llm.models.example.test": "198.51.100.40",
    "keycloak.idp.example.test": "198.51.100.50",
    "clickhouse.data.example.test": "203.0.113.10",
    "objects.data.example.test": "203.0.113.20",
}

# What each wave applies, as its tasks do (roles/<role>/tasks): the templates that
# make pods, Services, Routes, ConfigMaps, Secrets with non-secret URLs, and
# NetworkPolicies. Dashboards and alert rules open no connection.
WAVES = (
    ("foundation", ("namespaces.yml.j2", "networkpolicies.yml.j2"), None),
    ("keycloak", ("operator.yml.j2",), "keycloak_mode == 'operator'"),
    ("keycloak", ("client-secrets.yml.j2",), None),
    ("postgres", ("cluster.yml.j2",), None),
    ("redis", ("redis.yml.j2",), None),
    ("langfuse", ("keys.yml.j2", "clickhouse.yml.j2", "redis.yml.j2", "s3.yml.j2", "networkpolicies.yml.j2", "migrate.yml.j2",
                  "langfuse.yml.j2"),
     "'langfuse' in dify_platform_components"),
    ("dify", ("config.yml.j2", "migrate.yml.j2", "workloads.yml.j2"), None),
    ("oauth2_proxy", ("oauth2-proxy.yml.j2",), None),
    ("litellm", ("config.yml.j2", "migrate.yml.j2", "litellm.yml.j2"), None),
    ("open_webui", ("networkpolicies.yml.j2", "open-webui.yml.j2"), "'open_webui' in dify_platform_components"),
    ("portal", ("networkpolicies.yml.j2", "portal.yml.j2"), "'portal' in dify_platform_components"),
    ("observability", ("collector.yml.j2", "monitors.yml.j2", "networkpolicies.yml.j2"), None),
)
ROLES = sorted({wave[0] for wave in WAVES})

COMPONENTS = ["foundation", "keycloak", "postgres", "redis", "langfuse", "dify", "oauth2_proxy", "litellm", "open_webui", "portal", "observability"]

# The options of the contract: each dimension, and the variables each value sets.
DIMENSIONS = {
    "keycloak": {
        "external": {"keycloak_mode": "external", "keycloak_url": "https://keycloak.idp.example.test"},
        "operator": {"keycloak_mode": "operator", "keycloak_url": "https://keycloak." + DOMAIN},
    },
    "storage": {
        "pvc": {"dify_storage_type": "pvc"},
        "s3": {"dify_storage_type": "s3", "dify_s3": {
            "endpoint": "https://s3.storage.example.test", "bucket": "dify", "credentials_secret": "dify-s3"}},
    },
    "langfuse": {
        "off": {"dify_platform_components": [c for c in COMPONENTS if c != "langfuse"]},
        "in-cluster": {"langfuse_clickhouse_mode": "statefulset", "langfuse_redis_mode": "separate",
                       "langfuse_s3_mode": "in_cluster"},
        "external": {"langfuse_clickhouse_mode": "external",
                     "langfuse_clickhouse_url": "https://clickhouse.data.example.test:8443",
                     "langfuse_clickhouse_migration_url": "clickhouse://clickhouse.data.example.test:9440",
                     "langfuse_clickhouse_migration_ssl": True,
                     "langfuse_redis_mode": "platform",
                     "langfuse_s3_mode": "external", "langfuse_s3_endpoint": "https://objects.data.example.test",
                     "langfuse_egress_cidrs": LANGFUSE_EGRESS_CIDRS},
    },
    "sandbox": {
        "on": {"dify_platform_sandbox_enabled": True},
        "off": {"dify_platform_sandbox_enabled": False},
    },
}

BASE = {
    "dify_platform_registry": "harbor.example.test",
    "dify_platform_registry_project": "dify-platform",
    "dify_platform_domain": DOMAIN,
    "dify_platform_namespace": NAMESPACE,
    "dify_platform_components": COMPONENTS,
    "foundation_egress_cidrs": EGRESS_CIDRS,
    # Plugins install their dependencies from an internal index, through the SSRF proxy.
    "dify_pip_index_url": "https://pypi.mirror.example.test/simple",
    # One model served outside the cluster, so LiteLLM's egress is part of the contract.
    "litellm_models": [{"model_name": "chat", "model": "openai/chat", "api_base": "https://llm.models.example.test/v1"}],
    # What the keycloak wave's module returns (client secrets are never needed here).
    "__keycloak_realm_clients": {"clients": [{"client_id": "oauth2-proxy"}, {"client_id": "langfuse"}, {"client_id": "open-webui"}, {"client_id": "portal"}]},
}


# Variables the contract reads besides the objects: where the peers outside the platform
# live, and the foundation's hand-written lists, which must agree with the derived flows.
FACTS = ("{'ingress_namespace_labels': foundation_ingress_namespace_labels,"
         " 'monitoring_namespace_labels': observability_monitoring_namespace_labels,"
         " 'postgres_operator_namespace': foundation_postgres_operator_namespace,"
         " 'flows': __foundation_flows, 'router': __foundation_ingress_from_router,"
         " 'workloads': __foundation_workloads}")


@dataclass(frozen=True)
class Combination:
    """One choice per dimension, e.g. keycloak=operator storage=s3 langfuse=off sandbox=on."""

    choice: tuple

    @property
    def name(self):
        return " ".join("%s=%s" % pair for pair in self.choice)

    def variables(self):
        merged = dict(BASE)
        for dimension, value in self.choice:
            merged.update(DIMENSIONS[dimension][value])
        return merged


def combinations():
    """Every combination of the dimensions' values (their product)."""
    names = list(DIMENSIONS)
    return [Combination(tuple(zip(names, values))) for values in itertools.product(*(DIMENSIONS[n] for n in names))]


@dataclass
class Rendered:
    combination: Combination
    variables: dict
    objects: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)


def _read_yaml(path):
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def _layered_vars():
    """The variables every role sees: platform defaults < role defaults < platform vars < role vars."""
    platform = REPO / "roles" / "dify_platform"
    merged = dict(_read_yaml(platform / "defaults" / "main.yml"))
    for role in ROLES:
        merged.update(_read_yaml(REPO / "roles" / role / "defaults" / "main.yml"))
    merged.update(_read_yaml(platform / "vars" / "main.yml"))
    for role in ROLES:
        merged.update(_read_yaml(REPO / "roles" / role / "vars" / "main.yml"))
    return merged


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _reach(names, layered):
    """Every identifier that ``names`` use, directly or through the layered variables' values."""
    seen, todo = set(), set(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name in layered:
                todo |= set(IDENTIFIER.findall(str(layered[name])))
    return seen


def _closure(names, layered):
    """The layered variables that ``names`` use, directly or through other variables.

    A template lookup costs time in proportion to the variables it sees, so each role's
    task gets only the ones its templates can reach.
    """
    return {name: layered[name] for name in _reach(names, layered) if name in layered}


def _role_sources(tmp):
    """{role: (wrapper path, identifiers)}: per role, one template that includes the role's
    templates of WAVES (each under its condition), beside the role's templates and the shared
    ones, as apply_wave finds them; one lookup per role instead of one per template."""
    sources = {}
    shared = sorted(SHARED_TEMPLATES.rglob("*.j2")) if SHARED_TEMPLATES.is_dir() else []
    for role in ROLES:
        directory = Path(tmp) / role
        directory.mkdir()
        own = list((REPO / "roles" / role / "templates").iterdir())
        for source in own + (list(SHARED_TEMPLATES.iterdir()) if SHARED_TEMPLATES.is_dir() else []):
            (directory / source.name).symlink_to(source)
        wrapper = []
        for wave_role, templates, condition in WAVES:
            if wave_role != role:
                continue
            for name in templates:
                # trim_blocks drops the first newline after a tag: the blank line keeps
                # the separator on a line of its own.
                include = "{%% include '%s' %%}\n\n---\n" % name
                wrapper.append("{%% if %s %%}%s{%% endif %%}" % (condition, include) if condition else include)
        (directory / "__contract__.j2").write_text("".join(wrapper))
        text = "\n".join(path.read_text() for path in own + shared if path.is_file()) + "".join(wrapper)
        sources[role] = (directory / "__contract__.j2", set(IDENTIFIER.findall(text)))
    return sources


def _dimension_keys():
    keys = set(BASE)
    for values in DIMENSIONS.values():
        for variables in values.values():
            keys |= set(variables)
    return keys


def _run(inventory, tasks):
    """Run ``tasks`` on every host of ``inventory`` (each on the controller), as many at once
    as there are CPUs; {(task name, host): result}."""
    play = {"name": "connectivity contract", "hosts": "all", "gather_facts": False, "tasks": tasks}
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": inventory}}))
        (Path(tmp) / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
        proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(Path(tmp) / "inventory.yml"), "-f", str(os.cpu_count() or 1),
                               str(Path(tmp) / "play.yml")], env=env, capture_output=True, text=True, timeout=900, check=False)
    output = proc.stdout[proc.stdout.find("{"):]
    assert output.strip(), "ansible-playbook printed no result:\n" + proc.stderr[-3000:]
    results = {}
    for played in json.loads(output).get("plays", []):
        for task in played.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                results[(task["task"]["name"], host)] = result
    return results


def render_all(combos=None):
    """[Rendered] for ``combos`` (default: every combination), from one ansible-playbook run.

    Each combination is a host of its own (run on the controller), so that they render in
    parallel; its values are host variables. The roles' defaults and vars are task vars,
    each task holding only what its templates reach, minus what a combination sets.
    """
    combos = combos or combinations()
    layered = _layered_vars()
    dimension_keys = _dimension_keys()
    inventory = {}
    for index, combo in enumerate(combos):
        variables = combo.variables()
        host = {key: variables.get(key, layered.get(key)) for key in dimension_keys if key in variables or key in layered}
        inventory["combination%d" % index] = dict(host, ansible_connection="local")

    def task_vars(names):
        return {k: v for k, v in _closure(names | dimension_keys, layered).items() if k not in dimension_keys}

    images = ("{{ lookup('airgap.dify_platform.release_images', registry=dify_platform_registry, "
              "project=dify_platform_registry_project) }}")
    with tempfile.TemporaryDirectory() as tmp:
        sources = _role_sources(tmp)
        # The release manifest is read once: a lazy variable would be read again at every use.
        tasks = [{"name": "images", "ansible.builtin.set_fact": {"dify_platform_images": images}}]
        # A role is rendered once per distinct value of the options its templates can
        # reach (textually, so never too few): postgres' objects do not depend on the
        # storage type, so two renders serve all combinations.
        representative = {}
        for role, (wrapper, names) in sources.items():
            relevant = sorted(_reach(names, layered) & dimension_keys)
            groups = {}
            for host, values in inventory.items():
                key = json.dumps([values.get(k) for k in relevant], sort_keys=True, default=str)
                representative[(role, host)] = groups.setdefault(key, host)
            tasks.append({"name": "render " + role, "vars": task_vars(names),
                          "when": "inventory_hostname in %s" % sorted(set(groups.values())),
                          "ansible.builtin.debug": {"msg": "{{ lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list }}" % wrapper}})
        tasks.append({"name": "facts", "ansible.builtin.debug": {"msg": "{{ %s }}" % FACTS},
                      "vars": task_vars(set(IDENTIFIER.findall(FACTS)))})
        results = _run(inventory, tasks)
    rendered = []
    for index, combo in enumerate(combos):
        host = "combination%d" % index
        objects = []
        for role in sources:
            result = results.get(("render " + role, representative[(role, host)]), {"failed": True, "msg": "no result"})
            # The message may hold generated values: never quote it, only an error.
            assert not result.get("failed"), "%s, role %s: %s" % (combo.name, role, result.get("msg"))
            objects.extend(copy.deepcopy(result["msg"]))
        facts = results.get(("facts", host), {"failed": True, "msg": "no result"})
        assert not facts.get("failed"), "%s: %s" % (combo.name, facts.get("msg"))
        rendered.append(Rendered(combo, combo.variables(), objects, facts["msg"]))
    return rendered
