"""When a gate counts as ready, and how a wave that is not ready is explained."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.apply import diff_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import object_ref
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import has_failed, is_ready
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import gates_of


def deployment(generation=2, observed=2, replicas=2, updated=2, available=2, current=2):
    return {"kind": "Deployment", "metadata": {"name": "d", "generation": generation}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "availableReplicas": available,
                       "replicas": current}}


@pytest.mark.parametrize("obj, ready", [
    (deployment(), True),
    (deployment(observed=1), False),          # the controller has not seen the new template yet
    (deployment(updated=1), False),           # still rolling out
    (deployment(current=3), False),           # an old replica still runs
    (deployment(available=1), False),
    (deployment(replicas=0, updated=0, available=0, current=0), True),
])
def test_deployment(obj, ready):
    assert is_ready(obj) is ready


def statefulset(ready=1, updated=1, revision="r2"):
    return {"kind": "StatefulSet", "metadata": {"name": "s", "generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "readyReplicas": ready, "updatedReplicas": updated,
                       "currentRevision": revision, "updateRevision": revision}}


def test_statefulset():
    assert is_ready(statefulset())
    assert not is_ready(statefulset(ready=0))
    assert not is_ready(statefulset(updated=0))


def with_condition(kind, ctype, status, api_version="batch/v1"):
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"},
            "status": {"conditions": [{"type": ctype, "status": status}]}}


def test_condition_gates_and_failed_jobs():
    assert is_ready(with_condition("Job", "Complete", "True"))
    assert not is_ready(with_condition("Job", "Complete", "False"))
    assert has_failed(with_condition("Job", "Failed", "True"))
    assert not has_failed(with_condition("Cluster", "Failed", "True", "postgresql.cnpg.io/v1"))
    assert not is_ready(with_condition("Keycloak", "Ready", "False", "k8s.keycloak.org/v2alpha1"))
    assert not is_ready({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "pg"}})


def test_only_workloads_and_operator_kinds_of_their_groups_gate_a_wave():
    objects = [{"apiVersion": v, "kind": k, "metadata": {"name": k}} for v, k in (
        ("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("route.openshift.io/v1", "Route"),
        ("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.k8s.enterprisedb.io/v1", "Database"),
        ("k8s.keycloak.org/v2alpha1", "Keycloak"), ("example.internal/v1", "Cluster"))]
    assert [(o["apiVersion"], o["kind"]) for o in gates_of(objects)] == [
        ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("postgresql.cnpg.io/v1", "Cluster"),
        ("postgresql.k8s.enterprisedb.io/v1", "Database"), ("k8s.keycloak.org/v2alpha1", "Keycloak")]


def secret(data, rv="1"):
    return {"apiVersion": "v1", "kind": "Secret", "data": data,
            "metadata": {"name": "s", "namespace": "n", "resourceVersion": rv, "managedFields": [{"manager": "x"}]}}


def test_a_secret_diff_never_shows_a_value_and_says_which_changed():
    diff = diff_of({"ref": "Secret n/s", "kind": "Secret", "before": secret({"a": "QQ==", "b": "Qg=="}),
                    "after": secret({"a": "QQ==", "b": "Qw==", "c": "RA=="}, rv="2")})
    text = repr(diff)
    assert "QQ==" not in text and "Qg==" not in text and "Qw==" not in text and "RA==" not in text
    assert diff["before"]["data"] == {"a": "********", "b": "********"}
    assert diff["after"]["data"] == {"a": "********", "b": "******** (changed)", "c": "******** (changed)"}
    assert "managedFields" not in diff["after"]["metadata"] and "resourceVersion" not in diff["after"]["metadata"]


def test_a_created_object_diffs_from_nothing():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": {"k": "v"}}
    diff = diff_of({"ref": "ConfigMap n/c", "kind": "ConfigMap", "before": None, "after": cm})
    assert diff["before"] == {} and diff["after"]["data"] == {"k": "v"}


def test_an_object_is_named_as_kubectl_names_it():
    assert object_ref({"kind": "Deployment", "metadata": {"name": "redis", "namespace": "ai"}}) == "Deployment ai/redis"
    assert object_ref({"kind": "Namespace", "metadata": {"name": "ai"}}) == "Namespace ai"
