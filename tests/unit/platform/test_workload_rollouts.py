"""Every Deployment can finish its rollout (issue 14, defect 8).

A RollingUpdate starts the new pod before it stops the old one. When the pod mounts a
ReadWriteOnce PVC, the new pod may land on another node and never attach the volume
(Multi-Attach), so the rollout, and the wave waiting on it, time out. A scheduler that must
never run twice (Celery beat: two would fire every periodic task twice) must not overlap
either. Both need ``strategy: Recreate``, and the scheduler one replica.

The access mode is read from the PVC the same templates render, so a PVC made
ReadWriteOnce by an option (dify_storage_access_mode) is caught too.
"""

import pytest

from helpers.playbook import run_tasks
from helpers.workloads import BASE, SCENARIOS, layered_vars

ONCE = {"ReadWriteOnce", "ReadWriteOncePod"}


def claims(objects):
    return dict(((obj["metadata"]["namespace"], obj["metadata"]["name"]), obj)
                for obj in objects if obj["kind"] == "PersistentVolumeClaim")


def is_scheduler(pod):
    """A container that runs a periodic-task scheduler (celery ... beat)."""
    for container in pod["containers"]:
        words = [str(word) for word in (container.get("command") or []) + (container.get("args") or [])]
        if any(word.endswith("celery") for word in words) and "beat" in words:
            return True
    return False


def rollout_problems(objects):
    problems = []
    pvcs = claims(objects)
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        pod = obj["spec"]["template"]["spec"]
        recreate = (obj["spec"].get("strategy") or {}).get("type") == "Recreate"
        for volume in pod.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim is None:
                continue
            pvc = pvcs.get((namespace, claim))
            if pvc is None:
                problems.append("%s mounts PVC %s, which no template renders: its access mode is unknown" % (name, claim))
            elif ONCE & set(pvc["spec"]["accessModes"]) and not recreate:
                problems.append("%s mounts the %s PVC %s but rolls out by %s" % (
                    name, "/".join(pvc["spec"]["accessModes"]), claim, (obj["spec"].get("strategy") or {}).get("type", "RollingUpdate")))
        if is_scheduler(pod):
            if not recreate:
                problems.append("%s runs a scheduler that must never run twice, but does not roll out by Recreate" % name)
            if int(obj["spec"].get("replicas", 1)) != 1:
                problems.append("%s runs a scheduler with %s replicas" % (name, obj["spec"]["replicas"]))
    return problems


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deployments_with_a_read_write_once_volume_or_a_scheduler_roll_out_by_recreate(workloads, scenario):
    problems = rollout_problems(workloads[scenario])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_deployment_owns_its_whole_strategy(workloads, scenario):
    """A server-side apply cannot drop a rollingUpdate the API server defaulted: applying Recreate over it
    is refused (spec.strategy.rollingUpdate: Forbidden; measured on kube-apiserver v1.36.3). A rolling
    Deployment therefore states its rollingUpdate, which the apply then owns and can drop, so an option
    that later makes it Recreate (dify_storage_access_mode) applies."""
    loose = [obj["metadata"]["name"] for obj in workloads[scenario] if obj["kind"] == "Deployment"
             and not ((obj["spec"].get("strategy") or {}).get("type") == "Recreate"
                      or (obj["spec"].get("strategy") or {}).get("rollingUpdate"))]
    assert not loose, "no explicit strategy: " + ", ".join(loose)


def test_the_rwo_option_really_makes_api_and_worker_recreate(workloads):
    """The small scenario keeps Dify's files on a ReadWriteOnce PVC; the others do not."""
    strategies = dict((obj["metadata"]["name"], obj["spec"]["strategy"]["type"])
                      for obj in workloads["small"] if obj["kind"] == "Deployment")
    assert strategies["dify-api"] == strategies["dify-worker"] == "Recreate"
    assert strategies["dify-plugin-daemon"] == strategies["dify-beat"] == "Recreate"
    medium = dict((obj["metadata"]["name"], obj["spec"]["strategy"]["type"])
                  for obj in workloads["medium"] if obj["kind"] == "Deployment")
    assert medium["dify-api"] == medium["dify-worker"] == medium["dify-web"] == "RollingUpdate"


def test_the_check_catches_what_it_looks_for():
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "ai"},
           "spec": {"accessModes": ["ReadWriteOnce"]}}
    daemon = {"kind": "Deployment", "metadata": {"name": "daemon", "namespace": "ai"},
              "spec": {"replicas": 1, "template": {"spec": {
                  "containers": [{"name": "d"}], "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}}}}
    beat = {"kind": "Deployment", "metadata": {"name": "beat", "namespace": "ai"},
            "spec": {"replicas": 2, "strategy": {"type": "RollingUpdate"}, "template": {"spec": {
                "containers": [{"name": "b", "command": ["celery", "-A", "app.celery", "beat"]}]}}}}
    assert rollout_problems([pvc, daemon, beat]) == [
        "daemon mounts the ReadWriteOnce PVC data but rolls out by RollingUpdate",
        "beat runs a scheduler that must never run twice, but does not roll out by Recreate",
        "beat runs a scheduler with 2 replicas",
    ]
    assert rollout_problems([daemon]) == ["daemon mounts PVC data, which no template renders: its access mode is unknown"]


def test_the_preflight_refuses_a_second_plugin_daemon():
    """Recreate alone cannot help two replicas on two nodes share a ReadWriteOnce PVC."""
    tasks = [{"name": name, "ansible.builtin.debug": {"msg": "{{ __dify_input_errors }}"},
              "vars": dict(layered_vars(), **BASE, dify_replicas=replicas)}
             for name, replicas in (("two", {"plugin_daemon": 2}), ("one", {"worker": 5}))]
    play = run_tasks(tasks)
    assert [error for error in play.result("two")["msg"] if "plugin_daemon" in error] == [
        "dify_replicas.plugin_daemon must be 1: its data is on a ReadWriteOnce PVC, which a second pod on another node could not attach."]
    assert play.result("one")["msg"] == []
