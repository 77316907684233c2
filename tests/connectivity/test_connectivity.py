"""The connectivity contract (issue 14), for every combination of the platform's options.

Every connection the rendered objects need (derive.py) must be allowed by the rendered
NetworkPolicies, and every other one denied, as judged by cyclonus (engine.py). The
foundation's hand-written flow list must say the same as the derived flows. The matrix is
printed, and written to tests/output/connectivity/.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectivity import contract, engine, report
from connectivity import derive as deriving
from connectivity.render import NAMESPACE, combinations, render_all
from helpers.paths import REPO

OUTPUT = REPO / "tests" / "output" / "connectivity"
CYCLONUS_VERSION = "0.5.6"  # hack/tools/cyclonus.sh pins v0.5.6
COMBINATIONS = [c.name for c in combinations()]


@pytest.fixture(scope="module")
def cyclonus():
    return engine.binary()


@pytest.fixture(scope="module")
def contract_results(cyclonus):
    start = time.monotonic()
    # One cyclonus per combination, as many at once as there are CPUs.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda rendered: contract.evaluate(rendered, cyclonus), render_all()))
    return results, time.monotonic() - start


@pytest.fixture(scope="module")
def by_name(contract_results):
    return {result.name: result for result in contract_results[0]}


def test_print_the_matrix(contract_results, capsys):
    results, seconds = contract_results
    text = "\n\n".join([
        report.summary(results, "cyclonus %s" % CYCLONUS_VERSION, seconds),
        report.LEGEND,
        report.flows(results),
    ])
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "matrix.txt").write_text(text + "\n\n" + report.LEGEND + "\n\n" + "\n\n".join(report.matrix(r) for r in results) + "\n")
    problems = report.failures(results)
    with capsys.disabled():
        print("\n" + text + "\n\nPer combination: tests/output/connectivity/matrix.txt\n" + (problems or "No missing and no excess flow."))


def test_the_engine_is_the_pinned_cyclonus(cyclonus):
    assert engine.version(cyclonus) == CYCLONUS_VERSION


@pytest.mark.parametrize("name", COMBINATIONS)
def test_every_needed_flow_is_allowed(by_name, name):
    missing = [p for p in by_name[name].probes if p.status == "MISSING"]
    assert not missing, "\n".join("%s -> %s:%s denied (ingress %s, egress %s), needed by %s" % (
        p.source, p.target, p.port, p.verdict.ingress, p.verdict.egress, p.origin) for p in missing)


@pytest.mark.parametrize("name", COMBINATIONS)
def test_every_other_connection_is_denied(by_name, name):
    excess = [p for p in by_name[name].probes if p.status == "EXCESS"]
    assert not excess, "\n".join("%s -> %s:%s allowed, but nothing needs it" % (p.source, p.target, p.port) for p in excess)


@pytest.mark.parametrize("name", COMBINATIONS)
def test_the_foundation_flow_list_says_what_the_objects_need(by_name, name):
    """roles/foundation/vars/main.yml keeps a flow list; it must equal the derived flows
    between the platform namespace's pods, and its router list the derived Route flows."""
    result = by_name[name]
    namespace_of = {pod.workload: pod.namespace for pod in result.model.pods}
    derived = {f.as_tuple() for f in result.flows
               if not f.external and namespace_of.get(f.source) == NAMESPACE and namespace_of.get(f.target) == NAMESPACE}
    listed = {(f["from"], f["to"], int(f["port"])) for f in result.facts["flows"]}
    assert sorted(derived - listed) == [], "needed, but missing from __foundation_flows"
    assert sorted(listed - derived) == [], "in __foundation_flows, but nothing rendered needs it"
    routes = {(f.target, f.port) for f in result.flows if f.source == deriving.ROUTER}
    assert sorted(routes) == sorted({(e["to"], int(e["port"])) for e in result.facts["router"]})


def test_no_exemption_is_stale(contract_results):
    """Every hand-written entry (advertised URLs, unused variables, open egress) still
    matches something rendered in some combination."""
    results = contract_results[0]
    used = set().union(*(r.used_exemptions for r in results))
    assert sorted(set(deriving.ADVERTISED) - used, key=str) == []
    assert sorted(set(deriving.UNUSED) - used, key=str) == []
    opened = {(p.source, p.port) for r in results for p in r.probes if p.status == "exception"}
    assert sorted(set(contract.OPEN_EGRESS) - opened) == []


def test_the_flows_are_data_for_a_live_prober(by_name):
    """What a prober in a real cluster replays: (from workload, to workload or address, port)."""
    flows = contract.needed_flows(by_name[COMBINATIONS[0]])
    assert flows and all(isinstance(s, str) and isinstance(t, str) and isinstance(p, int) for s, t, p in flows)
