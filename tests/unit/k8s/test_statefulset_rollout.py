"""A StatefulSet gate holds until its rollout is done, as `kubectl rollout status` judges it.

Seen on kind: a redis update whose new pod could never start passed the gate at once, because
the status still counted the old revision's pod as ready and omits ``updatedReplicas`` when it is 0.
"""

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import is_ready, not_ready_reasons


def statefulset(status, strategy=None):
    spec = {"replicas": 1}
    if strategy:
        spec["updateStrategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "redis", "namespace": "ai", "generation": 2},
            "spec": spec, "status": dict({"observedGeneration": 2, "replicas": 1}, **status)}


# What the API server returned on kind right after the update (updatedReplicas omitted: it was 0).
JUST_UPDATED = {"availableReplicas": 1, "readyReplicas": 1, "currentRevision": "redis-697dfd6d9d", "updateRevision": "redis-5c889fc96d"}


def test_an_update_not_rolled_out_yet_holds_the_gate():
    reasons = not_ready_reasons(statefulset(JUST_UPDATED))
    assert "updatedReplicas 0 of 1" in reasons
    assert "currentRevision redis-697dfd6d9d, updateRevision redis-5c889fc96d" in reasons


def test_the_new_pod_ready_but_the_revision_not_yet_current_still_holds():
    status = dict(JUST_UPDATED, updatedReplicas=1)
    assert not_ready_reasons(statefulset(status)) == ["currentRevision redis-697dfd6d9d, updateRevision redis-5c889fc96d"]


def test_a_finished_rollout_is_ready():
    status = dict(JUST_UPDATED, updatedReplicas=1, currentReplicas=1, currentRevision="redis-5c889fc96d")
    assert is_ready(statefulset(status))


def test_a_partition_or_on_delete_never_waits_for_the_revision():
    status = dict(JUST_UPDATED, updatedReplicas=1)
    assert is_ready(statefulset(status, {"type": "OnDelete"}))
    assert is_ready(statefulset(status, {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}))
