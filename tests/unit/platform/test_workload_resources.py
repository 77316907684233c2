"""Every pod the platform renders is sized, budgeted and spread (issue 14, defect 7).

Rendered from every role's workload templates for each sizing profile (tests/helpers/workloads.py):

- every container, init containers and Jobs included, has CPU and memory requests and limits, none
  above its limit: nothing falls back to the namespace's LimitRange (500m / 512Mi), where api, worker
  and the plugin daemon are OOM-killed and whose CPU limit would undercut a larger request;
- every Deployment and StatefulSet with more than one replica has a PodDisruptionBudget selecting
  exactly its pods, and spreads them over nodes (kubernetes.io/hostname).
"""

import pytest

from helpers.workloads import SCENARIOS, containers, pod_template, quantity, selects

RESOURCES = (("requests", "cpu"), ("requests", "memory"), ("limits", "cpu"), ("limits", "memory"))
# Operators' custom resources that carry the resources of the pods they make.
OPERATED = {"OpenTelemetryCollector": ("spec", "resources")}


def sized_containers(objects):
    """(where, resources) of every container the objects make, custom resources' pods included."""
    for obj in objects:
        template = pod_template(obj)
        where = "%s/%s" % (obj["kind"], obj["metadata"]["name"])
        if template is not None:
            for container in containers(template["spec"]):
                yield "%s container %s" % (where, container["name"]), container.get("resources") or {}
        elif obj["kind"] in OPERATED:
            node = obj
            for key in OPERATED[obj["kind"]]:
                node = node.get(key) or {}
            yield where, node


def missing_resources(objects):
    problems = []
    for where, resources in sized_containers(objects):
        for kind, name in RESOURCES:
            if name not in (resources.get(kind) or {}):
                problems.append("%s has no %s.%s" % (where, kind, name))
        for name in ("cpu", "memory"):
            request, limit = (resources.get("requests") or {}).get(name), (resources.get("limits") or {}).get(name)
            if request is not None and limit is not None and quantity(request) > quantity(limit):
                problems.append("%s requests more %s (%s) than its limit (%s)" % (where, name, request, limit))
    return problems


def replicated(objects):
    """(object, pod labels) of every Deployment and StatefulSet with more than one replica."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet") and int(obj["spec"].get("replicas", 1)) > 1:
            yield obj, obj["spec"]["template"]["metadata"]["labels"]


def budget_problems(objects):
    problems = []
    budgets = [obj for obj in objects if obj["kind"] == "PodDisruptionBudget"]
    pods = [(obj, pod_template(obj)["metadata"]["labels"]) for obj in objects if pod_template(obj) is not None]
    for workload, labels in replicated(objects):
        name, namespace = workload["metadata"]["name"], workload["metadata"]["namespace"]
        mine = [b for b in budgets if b["metadata"]["namespace"] == namespace and selects(b["spec"].get("selector"), labels)]
        if len(mine) != 1:
            problems.append("%s %s (%s replicas) has %d PodDisruptionBudgets" % (workload["kind"], name, workload["spec"]["replicas"], len(mine)))
            continue
        budget = mine[0]
        others = [other["metadata"]["name"] for other, other_labels in pods
                  if other is not workload and other["metadata"]["namespace"] == namespace
                  and selects(budget["spec"]["selector"], other_labels)]
        if others:
            problems.append("the PodDisruptionBudget of %s also selects the pods of %s" % (name, ", ".join(others)))
        if budget["spec"].get("maxUnavailable") is None and budget["spec"].get("minAvailable") is None:
            problems.append("the PodDisruptionBudget of %s allows nothing" % name)
    return problems


def spreads_over_nodes(pod, labels):
    for constraint in pod.get("topologySpreadConstraints") or []:
        if constraint.get("topologyKey") == "kubernetes.io/hostname" and selects(constraint.get("labelSelector"), labels):
            return True
    anti = ((pod.get("affinity") or {}).get("podAntiAffinity") or {})
    for term in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        term = term.get("podAffinityTerm") or {}
        if term.get("topologyKey") == "kubernetes.io/hostname" and selects(term.get("labelSelector"), labels):
            return True
    return any(term.get("topologyKey") == "kubernetes.io/hostname" and selects(term.get("labelSelector"), labels)
               for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or [])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_container_has_cpu_and_memory_requests_and_limits(workloads, scenario):
    problems = missing_resources(workloads[scenario])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_replicated_workload_has_a_disruption_budget_selecting_exactly_its_pods(workloads, scenario):
    problems = budget_problems(workloads[scenario])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replicated_workloads_spread_over_nodes(workloads, scenario):
    unspread = ["%s %s" % (obj["kind"], obj["metadata"]["name"]) for obj, labels in replicated(workloads[scenario])
                if not spreads_over_nodes(obj["spec"]["template"]["spec"], labels)]
    assert not unspread, "not spread over nodes: " + ", ".join(unspread)


def test_the_profiles_really_differ_in_replicas(workloads):
    """small runs one of everything (so no budget at all), medium and large more."""
    assert [obj["metadata"]["name"] for obj, _unused in replicated(workloads["small"])] == []
    assert len(list(replicated(workloads["medium"]))) >= 7
    assert all(int(obj["spec"]["replicas"]) == 3 for obj, _unused in replicated(workloads["large"])
               if obj["metadata"]["name"] in ("dify-api", "dify-web", "oauth2-proxy", "litellm", "langfuse-web"))


def test_the_checks_catch_what_they_look_for():
    """The helpers of this module fail on the defects they exist for."""
    bare = {"kind": "Deployment", "metadata": {"name": "x", "namespace": "ai"},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app.kubernetes.io/name": "x"}},
                                                 "spec": {"initContainers": [{"name": "init", "resources": {"limits": {"memory": "1Gi"}}}],
                                                          "containers": [{"name": "main", "resources": {
                                                              "requests": {"cpu": "2", "memory": "1Gi"},
                                                              "limits": {"cpu": "1", "memory": "1Gi"}}}]}}}}
    problems = missing_resources([bare])
    assert "Deployment/x container init has no requests.cpu" in problems
    assert "Deployment/x container main requests more cpu (2) than its limit (1)" in problems
    assert budget_problems([bare]) == ["Deployment x (2 replicas) has 0 PodDisruptionBudgets"]
    wide = {"kind": "PodDisruptionBudget", "metadata": {"name": "wide", "namespace": "ai"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {}}}}
    other = dict(bare, metadata={"name": "y", "namespace": "ai"})
    assert "the PodDisruptionBudget of x also selects the pods of y" in budget_problems([bare, other, wide])
    assert not spreads_over_nodes(bare["spec"]["template"]["spec"], {"app.kubernetes.io/name": "x"})


def test_a_replicated_collector_asks_its_operator_for_a_budget_and_spreading(workloads):
    """The OpenTelemetry operator makes the collector's Deployment and PodDisruptionBudget from the custom resource."""
    spec = next(obj for obj in workloads["large"] if obj["kind"] == "OpenTelemetryCollector")["spec"]
    assert spec["replicas"] == 2 and spec["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    single = next(obj for obj in workloads["medium"] if obj["kind"] == "OpenTelemetryCollector")["spec"]
    assert "podDisruptionBudget" not in single
