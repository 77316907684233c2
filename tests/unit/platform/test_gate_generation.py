"""Gates are judged against the generation applied, never on the status of the previous one.

Right after an apply that changed a spec (an image bump), an operator's status is
still the one it wrote for the previous generation, and it says Ready. Each case
here is what the operator really publishes (sources cited in readiness.py).
"""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import not_ready_message
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import is_ready, not_ready_reasons
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.rerun import failed_before
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import gates_of

NEW_IMAGE = "harbor.internal/dify/postgresql:17.11@sha256:" + "1" * 64
OLD_IMAGE = "harbor.internal/dify/postgresql:17.10@sha256:" + "0" * 64


def keycloak(generation=2, observed=2, ready="True", ready_observed=2, rolling="False"):
    conditions = [{"type": "Ready", "status": ready, "observedGeneration": ready_observed},
                  {"type": "HasErrors", "status": "False", "observedGeneration": ready_observed},
                  {"type": "RollingUpdate", "status": rolling, "observedGeneration": ready_observed}]
    status = {"conditions": conditions}
    if observed is not None:
        status["observedGeneration"] = observed
    return {"apiVersion": "k8s.keycloak.org/v2alpha1", "kind": "Keycloak",
            "metadata": {"name": "keycloak", "namespace": "kc", "generation": generation}, "status": status}


@pytest.mark.parametrize("obj, ready", [
    (keycloak(), True),
    (keycloak(observed=1, ready_observed=1), False),  # an image bump: the operator has not seen generation 2
    (keycloak(ready_observed=1), False),              # Ready carried over from generation 1 (HasErrors path)
    (keycloak(rolling="True"), False),                # Ready stays True while the StatefulSet rolls out
    (keycloak(ready="False"), False),
    (keycloak(observed=None, ready_observed=None), False),  # 26.x always writes it: none means not reconciled
])
def test_keycloak_is_ready_only_at_the_generation_applied(obj, ready):
    assert is_ready(obj) is ready


def database(generation=2, observed=2, applied=True, message=""):
    status = {} if observed is None else {"observedGeneration": observed, "applied": applied, "message": message}
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
            "metadata": {"name": "pg-dify", "namespace": "db", "generation": generation}, "status": status}


@pytest.mark.parametrize("obj, ready", [
    (database(), True),
    (database(observed=None), False),       # not reconciled yet
    (database(observed=1), False),          # a spec change the instance manager has not applied
    (database(applied=False, message="role dify does not exist"), False),
])
def test_a_cnpg_database_is_a_gate_ready_once_applied_at_its_generation(obj, ready):
    assert gates_of([obj]) == [obj]
    assert is_ready(obj) is ready


def test_a_failed_database_says_why():
    message = not_ready_message(1, "postgres", 60, [database(observed=1, applied=False, message="role dify does not exist")], [])
    assert "role dify does not exist" in message and "status observedGeneration 1, generation 2 applied" in message


def cluster(image=NEW_IMAGE, status_image=NEW_IMAGE, phase="Cluster in healthy state", ready_instances=3,
            primary="pg-1", target="pg-1", ready="True", api_version="postgresql.cnpg.io/v1", **condition):
    return {"apiVersion": api_version, "kind": "Cluster",
            "metadata": {"name": "pg", "namespace": "db", "generation": 4},
            "spec": {"instances": 3, "imageName": image},
            "status": {"phase": phase, "readyInstances": ready_instances, "currentPrimary": primary,
                       "targetPrimary": target, "image": status_image,
                       "conditions": [dict({"type": "Ready", "status": ready}, **condition)]}}


@pytest.mark.parametrize("obj, ready", [
    (cluster(), True),
    (cluster(api_version="postgresql.k8s.enterprisedb.io/v1"), True),
    (cluster(status_image=OLD_IMAGE), False),          # an image bump the operator has not taken yet
    (cluster(phase="Upgrading cluster"), False),
    (cluster(ready_instances=2), False),
    (cluster(target="pg-2"), False),                   # a switchover under way
    (cluster(ready="False"), False),
    (cluster(observedGeneration=3), False),            # a generation, should a later operator publish one
])
def test_a_cnpg_cluster_waits_for_the_applied_image_and_a_settled_primary(obj, ready):
    assert is_ready(obj) is ready


def test_a_cluster_of_another_api_group_is_no_gate():
    other = cluster(api_version="cluster.example.internal/v1", ready="False")
    assert gates_of([other]) == [] and not_ready_reasons(other) == []


def job(failed):
    conditions = [{"type": "Failed" if failed else "Complete", "status": "True"}]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "dify-migrate-0a1b", "namespace": "ai", "uid": "u1"},
            "status": {"conditions": conditions}}


def test_only_a_job_that_had_failed_before_the_run_is_run_again():
    assert failed_before({"kind": "Job", "before": job(failed=True)})
    assert not failed_before({"kind": "Job", "before": job(failed=False)})
    assert not failed_before({"kind": "Job", "before": None})
    assert not failed_before({"kind": "Deployment", "before": {"status": {"conditions": [{"type": "Failed", "status": "True"}]}}})


def test_a_failed_job_names_the_commands_and_what_the_next_run_does():
    message = not_ready_message(3, "dify", 600, [job(failed=True)], [], failed=True)
    assert message.startswith("Wave 3 (dify) failed.")
    assert "`kubectl -n ai logs job/dify-migrate-0a1b --all-containers`" in message
    assert "Nothing after its step was applied" in message
    assert "runs it once more, once per run" in message and "already ran it once more" not in message
    again = not_ready_message(3, "dify", 600, [job(failed=True)], [], failed=True, rerun=["Job ai/dify-migrate-0a1b"])
    assert "It had failed before, and this run already ran it once more." in again
