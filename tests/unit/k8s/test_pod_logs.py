"""A wave that fails on a real cluster quotes its pods: the container's state (CrashLoopBackOff,
the last exit code) and the program's own last log lines, read from the instance that crashed."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiConnectionError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import Response
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s import pod_logs
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import WaveNotReady, wait_ready

REDIS_SAYS = ("1:M 07 Dec 2026 10:00:00.000 # Can't open or create append-only dir appendonlydir: Read-only file system\n"
              "1:M 07 Dec 2026 10:00:00.001 # Server initialized\n")


def crashing_pod(name="redis-0", created="2026-12-07T10:00:00Z"):
    return {"metadata": {"name": name, "namespace": "ai", "creationTimestamp": created},
            "status": {"containerStatuses": [
                {"name": "redis", "ready": False, "restartCount": 3,
                 "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container"}},
                 "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}},
                {"name": "exporter", "ready": True, "restartCount": 0, "state": {"running": {}}}]}}


def statefulset(ready=0):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis", "namespace": "ai", "generation": 1},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "redis"}}},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": ready, "availableReplicas": ready}}


class Cluster:
    """The API reads a failing wave makes: the gate, the events, the pods, their logs."""

    def __init__(self, pods, logs, fail_pods=False):
        self.pods, self.logs, self.fail_pods = pods, logs, fail_pods
        self.requests = []

    def path(self, obj):
        return "/apis/apps/v1/namespaces/ai/statefulsets/" + obj["metadata"]["name"]

    def get_json(self, path, query=None):
        self.requests.append((path, query))
        if path.endswith("/events"):
            return {"items": []}
        if path.endswith("/pods"):
            if self.fail_pods:
                raise ApiConnectionError(path, "connection refused")
            return {"items": self.pods}
        return statefulset()

    def request(self, method, path, query=None, expect=None):
        self.requests.append((path, query))
        key = (path.split("/")[-2], query["container"], query.get("previous") == "true")
        if key in self.logs:
            return Response(200, {}, self.logs[key].encode(), path)
        return Response(400, {}, b'{"message": "previous terminated container not found"}', path)


def test_the_selector_of_a_workload_and_none_for_other_kinds():
    assert pod_logs.pod_selector(statefulset()) == "app.kubernetes.io/instance=redis,app.kubernetes.io/name=redis"
    assert pod_logs.pod_selector({"kind": "Cluster", "spec": {}}) is None
    assert pod_logs.pod_selector({"kind": "Deployment", "spec": {}}) is None


def test_only_troubled_containers_are_described_and_a_crash_loop_reads_the_previous_instance():
    found = pod_logs.troubled_containers(crashing_pod())
    assert found == [("redis", "waiting: CrashLoopBackOff, last exit: Error, exit code 1, restarts 3", True)]
    done_init = {"status": {"initContainerStatuses": [{"name": "init", "ready": False, "restartCount": 0,
                                                       "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}}
    assert pod_logs.troubled_containers(done_init) == []
    failed_job = {"status": {"containerStatuses": [{"name": "migrate", "ready": False, "restartCount": 0,
                                                    "state": {"terminated": {"reason": "Error", "exitCode": 2}}}]}}
    assert pod_logs.troubled_containers(failed_job) == [("migrate", "terminated: Error, exit code 2", False)]


def test_last_lines_keeps_the_end_and_cuts_long_lines():
    assert pod_logs.last_lines("a\n\nb\nc\n" + "x" * 500, lines=2, width=10) == ["c", "x" * 10]


def test_the_log_of_the_crashed_instance_is_quoted_and_a_missing_previous_falls_back_to_the_current():
    cluster = Cluster([crashing_pod()], {("redis-0", "redis", True): REDIS_SAYS})
    lines = pod_logs.gate_pods_detail(cluster, statefulset())
    assert len(lines) == 1
    assert "Pod redis-0 container redis: waiting: CrashLoopBackOff" in lines[0]
    assert "(previous instance): " in lines[0] and "Read-only file system" in lines[0]
    assert ("/api/v1/namespaces/ai/pods", {"labelSelector": "app.kubernetes.io/instance=redis,app.kubernetes.io/name=redis"}) \
        in cluster.requests
    only_current = Cluster([crashing_pod()], {("redis-0", "redis", False): "current says hi\n"})
    assert "current says hi" in pod_logs.gate_pods_detail(only_current, statefulset())[0]
    silent = Cluster([crashing_pod()], {})
    assert pod_logs.gate_pods_detail(silent, statefulset())[0].endswith("(no log)")


def test_at_most_two_pods_newest_first():
    pods = [crashing_pod("redis-%d" % i, "2026-12-07T10:0%d:00Z" % i) for i in range(4)]
    lines = pod_logs.gate_pods_detail(Cluster(pods, {}), statefulset())
    assert [line.split()[1] for line in lines] == ["redis-3", "redis-2"]


def _timed_out(cluster):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    with pytest.raises(WaveNotReady) as failure:
        wait_ready(cluster, [statefulset()], 1, "redis", 5, interval=1.0, clock=lambda: now[0], sleep=sleep)
    return str(failure.value)


def test_a_wave_that_times_out_quotes_its_pods_own_log_lines():
    message = _timed_out(Cluster([crashing_pod()], {("redis-0", "redis", True): REDIS_SAYS}))
    assert "Wave 1 (redis) did not become ready within 5s" in message
    assert "Its pods say: Pod redis-0 container redis: waiting: CrashLoopBackOff" in message
    assert "Can't open or create append-only dir appendonlydir: Read-only file system" in message


def test_pods_that_cannot_be_read_never_hide_the_failure():
    message = _timed_out(Cluster([], {}, fail_pods=True))
    assert "Blocked by StatefulSet ai/redis" in message
    assert "its pods could not be read" in message


def test_a_statefulset_pod_stuck_on_an_older_revision_gets_the_forced_rollback_advice():
    gate = statefulset()
    gate["status"]["updateRevision"] = "redis-new"
    old = crashing_pod()
    old["metadata"]["labels"] = {"controller-revision-hash": "redis-broken"}
    lines = pod_logs.gate_pods_detail(Cluster([old], {}), gate)
    assert lines[-1] == ("Pod redis-0 runs revision redis-broken, not the update redis-new, and a StatefulSet never replaces "
                         "a pod that is not ready: once the cause is fixed, delete it (`kubectl -n ai delete pod redis-0`) "
                         "and run the playbook again.")
    current = crashing_pod()
    current["metadata"]["labels"] = {"controller-revision-hash": "redis-new"}
    assert not any("delete it" in line for line in pod_logs.gate_pods_detail(Cluster([current], {}), gate))
    assert pod_logs.stuck_revision({"kind": "Deployment", "status": {"updateRevision": "x"}}, old) == []
