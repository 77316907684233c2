"""The wait's rhythm: a quick first read after the apply, then pauses doubling up to the wave's interval."""

import itertools

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import pauses, wait_ready


def test_pauses_double_from_a_quarter_second_up_to_the_interval():
    assert list(itertools.islice(pauses(2.0), 6)) == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert list(itertools.islice(pauses(0.1), 3)) == [0.1, 0.1, 0.1]


class ScriptedCluster:
    """Answers each read of the one gate with the next state of a script (the states a rollout goes through)."""

    def __init__(self, states):
        self.states = iter(states)
        self.reads = 0

    def path(self, obj):
        return "/apis/apps/v1/namespaces/ai/deployments/" + obj["metadata"]["name"]

    def get_json(self, path):
        self.reads += 1
        return next(self.states)


def deployment(ready):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "ai", "generation": 1},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                       "availableReplicas": 1 if ready else 0, "readyReplicas": 1 if ready else 0}}


def test_a_gate_ready_soon_after_the_apply_is_not_held_for_a_whole_interval():
    slept = []
    now = [0.0]

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    cluster = ScriptedCluster([deployment(False), deployment(True)])
    states = wait_ready(cluster, [deployment(False)], 3, "dify", timeout=60, interval=2.0,
                        clock=lambda: now[0], sleep=sleep)
    assert slept == [0.25, 0.5] and cluster.reads == 2
    assert states[0]["status"]["readyReplicas"] == 1
