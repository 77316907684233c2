"""The plugin daemon's in-cluster index in the connectivity contract (issue 20).

One combination of the platform is rendered with ``dify_pip_index_url`` pointed at the
in-cluster index, and the mirror role's plugin_index objects are added to it. The flows are
derived from the rendered config as for every combination (the daemon's PIP_MIRROR_URL, its
NO_PROXY holding .svc, the Service -> the index's pod on 8080) and cyclonus judges them against
every NetworkPolicy, the foundation's and the index's: the daemon reaches the index, nothing
else does, and the index reaches nothing but the DNS the foundation opens to every pod.
Without the index's clients policy the daemon's flow is MISSING (the second test shows it).
"""

from dataclasses import dataclass

import pytest
import yaml

from connectivity import contract, engine
from connectivity.render import BASE, NAMESPACE, render_all
from helpers.playbook import run_tasks

INDEX = "dify-plugin-index"
URL = "http://%s.%s.svc/simple/" % (INDEX, NAMESPACE)


@dataclass(frozen=True)
class InClusterIndex:
    """A combination (keycloak external, storage pvc, langfuse off, sandbox on) whose index is in the cluster."""

    choice: tuple = (("keycloak", "external"), ("storage", "pvc"), ("langfuse", "off"), ("sandbox", "on"))

    @property
    def name(self):
        return " ".join("%s=%s" % pair for pair in self.choice) + " pip_index=in-cluster"

    def variables(self):
        from connectivity.render import DIMENSIONS
        merged = dict(BASE)
        for dimension, value in self.choice:
            merged.update(DIMENSIONS[dimension][value])
        merged["dify_pip_index_url"] = URL
        return merged


def index_objects(tmp_path):
    dest = tmp_path / "plugin-index.yml"
    task = {"name": "plugin index",
            "ansible.builtin.include_role": {"name": "airgap.dify_platform.mirror", "tasks_from": "plugin_index"},
            "vars": {"mirror_plugin_index_dest": str(dest), "mirror_registry": BASE["dify_platform_registry"],
                     "mirror_project": BASE["dify_platform_registry_project"], "mirror_plugin_index_namespace": NAMESPACE}}
    run = run_tasks([task])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert URL in run.stdout  # the task says which dify_pip_index_url to set
    return [d for d in yaml.safe_load_all(dest.read_text()) if d]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    [platform] = render_all([InClusterIndex()])
    platform.objects.extend(index_objects(tmp_path_factory.mktemp("index")))
    return platform


@pytest.fixture(scope="module")
def cyclonus():
    return engine.binary()


def test_the_daemon_reaches_the_index_and_nothing_else_does(rendered, cyclonus):
    result = contract.evaluate(rendered, cyclonus)
    needed = [p for p in result.probes if p.needed and p.target == INDEX]
    assert [(p.source, p.port) for p in needed] == [("dify-plugin-daemon", 8080)], needed
    assert needed[0].status == "ok" and "PIP_MIRROR_URL" in needed[0].origin
    reaching = [p for p in result.probes if p.target == INDEX and p.verdict.allowed]
    assert [p.source for p in reaching] == ["dify-plugin-daemon"]
    # The index itself dials nothing: only the DNS the foundation opens to every pod.
    assert [(p.target, p.port) for p in result.probes if p.source == INDEX and p.verdict.allowed] == [("dns", 53)]
    # With the in-cluster index, the daemon needs no external index address.
    assert not [f for f in result.flows if f.source == "dify-plugin-daemon" and f.external]
    # Every probe from or to the index or the daemon is as the contract wants. (Elsewhere this combination shows
    # one EXCESS that is not the index's: the SSRF proxy's egress into foundation_egress_cidrs stays open while,
    # with the index in the cluster, no rendered flow of the proxy needs an address there.)
    ours = [p for p in result.failures if INDEX in (p.source, p.target) or p.source == "dify-plugin-daemon"]
    assert ours == [], "\n".join("%s -> %s:%s %s" % (p.source, p.target, p.port, p.status) for p in ours)


def test_without_the_clients_policy_the_flow_is_missing(rendered, cyclonus):
    objects = [o for o in rendered.objects if o["metadata"]["name"] != INDEX + "-clients"]
    stripped = type(rendered)(rendered.combination, rendered.variables, objects, rendered.facts)
    result = contract.evaluate(stripped, cyclonus)
    missing = [(p.source, p.target, p.port) for p in result.probes if p.status == "MISSING"]
    assert missing == [("dify-plugin-daemon", INDEX, 8080)]
