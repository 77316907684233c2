"""Each sizing profile, admitted by a real kube-apiserver (the local control plane; issue 14, defects 7 and 8).

Per profile, in namespaces of its own under Pod Security ``restricted`` (the sandbox's ``baseline``):
the foundation's ResourceQuota and LimitRange as its template renders them; every Deployment,
StatefulSet, Job, PodDisruptionBudget, PVC, Service and ConfigMap the workload templates render,
server-side applied (the workloads as a server dry run, so that no controller starts pods); then
the pods the profile really runs (replicas, one surge pod per rolling
Deployment, the migration Jobs, the postgres instances) created one by one. All are admitted, and
one pod more than the quota is not (the quota is enforced, not merely present).

Also the rollout strategy: a server-side apply of ``Recreate`` over a ``rollingUpdate`` the server
defaulted is refused, over one the apply owns it succeeds, which is why every rolling Deployment
states its ``rollingUpdate``.
"""

import copy
import json
import subprocess
import time
import uuid

import pytest
import yaml

from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE, REPO
from helpers.playbook import run_tasks
from helpers.workloads import NAMESPACE, SCENARIOS, layered_vars, pod_template, render_scenarios

KUBECTL = str(CACHE / "bin" / "kubectl")
APPLIED = ("Deployment", "StatefulSet", "Job", "PodDisruptionBudget", "PersistentVolumeClaim", "Service", "ConfigMap")
RESTRICTED = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


def kubectl(kubeconfig, *args, data=None):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=120, check=False)


def foundation_limits(scenarios):
    """The foundation's ResourceQuota and LimitRange for each scenario, as its config template renders them."""
    def read(kind):
        return yaml.safe_load((REPO / "roles" / "foundation" / kind / "main.yml").read_text())

    variables = dict(layered_vars(), **read("defaults"), **read("vars"))
    template = REPO / "roles" / "foundation" / "templates" / "config.yml.j2"
    play = run_tasks([{"name": name, "ansible.builtin.debug": {
        "msg": "{{ lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list }}" % template},
        "vars": dict(variables, **values, foundation_openshift=False, foundation_ca_bundle_pem="")}
        for name, values in scenarios.items()])
    return dict((name, [obj for obj in play.result(name)["msg"] if obj["kind"] in ("ResourceQuota", "LimitRange")])
                for name in scenarios)


def pods_of(objects):
    """The pods a profile runs at the peak of a rollout."""
    pods = []
    for obj in objects:
        template = pod_template(obj)
        if template is None:
            continue
        count = 1 if obj["kind"] == "Job" else int(obj["spec"].get("replicas", 1))
        strategy = obj["spec"].get("strategy") or {}
        if obj["kind"] == "Deployment" and strategy.get("type") != "Recreate":
            count += int(strategy["rollingUpdate"]["maxSurge"])
        spec = copy.deepcopy(template["spec"])
        for claim in obj["spec"].get("volumeClaimTemplates") or []:
            spec.setdefault("volumes", []).append({"name": claim["metadata"]["name"], "emptyDir": {}})
        pods += [{"apiVersion": "v1", "kind": "Pod", "spec": spec,
                  "metadata": {"name": "%s-%d" % (obj["metadata"]["name"], index), "namespace": obj["metadata"]["namespace"]}}
                 for index in range(count)]
    postgres = yaml.safe_load((REPO / "roles" / "postgres" / "defaults" / "main.yml").read_text())
    pods += [pod("postgres-%d" % index, NAMESPACE, postgres["postgres_resources"]) for index in range(int(postgres["postgres_instances"]))]
    return pods


def pod(name, namespace, resources):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"securityContext": RESTRICTED, "containers": [{
                "name": "main", "image": "registry.example.test/x@sha256:" + "0" * 64, "resources": resources,
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}}


def moved(obj, names):
    obj = copy.deepcopy(obj)
    obj["metadata"]["namespace"] = names[obj["metadata"]["namespace"]]
    return obj


@pytest.fixture(scope="module")
def rendered():
    return render_scenarios(SCENARIOS), foundation_limits(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_profile_is_admitted_and_fits_its_quota(kubeconfig, rendered, scenario):
    objects, limits = rendered[0][scenario], rendered[1][scenario]
    base = "sizing-%s-%s" % (scenario, uuid.uuid4().hex[:6])
    names = {NAMESPACE: base, NAMESPACE + "-sandbox": base + "-sandbox"}
    try:
        for name, level in ((base, "restricted"), (base + "-sandbox", "baseline")):
            assert kubectl(kubeconfig, "create", "namespace", name).returncode == 0
            kubectl(kubeconfig, "label", "namespace", name, "pod-security.kubernetes.io/enforce=" + level)
        for obj in limits:
            proc = kubectl(kubeconfig, "apply", "--server-side", "--field-manager=test", "-f", "-", data=json.dumps(moved(obj, names)))
            assert proc.returncode == 0, proc.stderr
        for _attempt in range(60):  # admission enforces a quota once its controller has filled the status
            if kubectl(kubeconfig, "-n", base, "get", "resourcequota", "-o", "jsonpath={.items[0].status.hard}").stdout.strip():
                break
            time.sleep(1)
        refused = []
        for obj in [moved(obj, names) for obj in objects if obj["kind"] in APPLIED]:
            # Workloads are admitted but not stored (dry run): their controllers would start pods of their own.
            dry = ["--dry-run=server"] if pod_template(obj) is not None else []
            proc = kubectl(kubeconfig, "apply", "--server-side", "--field-manager=test", *dry, "-f", "-", data=json.dumps(obj))
            if proc.returncode:
                refused.append("%s %s: %s" % (obj["kind"], obj["metadata"]["name"], proc.stderr.strip()))
        pods = [moved(item, names) for item in pods_of(objects)]
        # The foundation creates every ServiceAccount the pods name.
        for namespace, account in sorted({(item["metadata"]["namespace"], item["spec"].get("serviceAccountName"))
                                          for item in pods} - {(base, None), (base + "-sandbox", None)}):
            kubectl(kubeconfig, "-n", namespace, "create", "serviceaccount", account)
        for item in pods:
            proc = kubectl(kubeconfig, "create", "-f", "-", data=json.dumps(item))
            if proc.returncode:
                refused.append("Pod %s: %s" % (item["metadata"]["name"], proc.stderr.strip()))
        assert not refused, "\n".join(refused)
        over = kubectl(kubeconfig, "create", "-f", "-", data=json.dumps(pod("one-too-many", base, {
            "requests": {"cpu": "100", "memory": "1Gi"}, "limits": {"cpu": "100", "memory": "1Gi"}})))
        assert over.returncode != 0 and "exceeded quota" in over.stderr
    finally:
        for name in names.values():
            kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")


def test_recreate_applies_only_over_a_rolling_update_the_apply_owns(kubeconfig):
    namespace = "strategy-" + uuid.uuid4().hex[:6]

    def deployment(name, strategy):
        spec = {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {
            "metadata": {"labels": {"app": name}}, "spec": pod(name, namespace, {})["spec"]}}
        if strategy:
            spec["strategy"] = strategy
        return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace}, "spec": spec})

    def apply(document):
        return kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "--field-manager=test", "-f", "-", data=document)

    try:
        assert kubectl(kubeconfig, "create", "namespace", namespace).returncode == 0
        assert apply(deployment("defaulted", None)).returncode == 0
        refused = apply(deployment("defaulted", {"type": "Recreate"}))
        assert refused.returncode != 0 and "spec.strategy.rollingUpdate: Forbidden" in refused.stderr
        assert apply(deployment("owned", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})).returncode == 0
        assert apply(deployment("owned", {"type": "Recreate"})).returncode == 0
        strategy = json.loads(kubectl(kubeconfig, "-n", namespace, "get", "deployment", "owned", "-o", "json").stdout)["spec"]["strategy"]
        assert strategy == {"type": "Recreate"}
    finally:
        kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false", "--ignore-not-found")
