"""The wave-order check that molecule's verify and playbooks/verify.yml rely on."""

from ansible_collections.airgap.dify_platform.plugins.filter.wave_order_violations import wave_order_violations


def obj(kind, name, wave, created, conditions=None, namespace="ns", labels=None, **extra):
    item = {"kind": kind, "metadata": {"name": name, "namespace": namespace, "labels": labels or {},
                                       "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
                                       "creationTimestamp": created}}
    if conditions is not None:
        item["status"] = {"conditions": [{"type": t, "status": "True", "lastTransitionTime": at} for t, at in conditions]}
    item.update(extra)
    return item


def test_waves_in_order_give_no_violation():
    objects = [
        obj("Namespace", "ns", -1, "2026-11-21T00:00:00Z"),
        obj("Secret", "generated", -1, "2026-11-21T00:00:02Z"),
        obj("Secret", "oidc", 0, "2026-11-21T00:00:03Z"),
        obj("Cluster", "pg", 1, "2026-11-21T00:00:04Z", [("Ready", "2026-11-21T00:00:09.5Z")]),
        obj("StatefulSet", "redis", 2, "2026-11-21T00:00:09Z", spec={"selector": {"matchLabels": {"app": "redis"}}}),
        obj("Pod", "redis-0", 2, "2026-11-21T00:00:10Z", [("Ready", "2026-11-21T00:00:12Z")], labels={"app": "redis"}),
        obj("Deployment", "dify-api", 3, "2026-11-21T00:00:12Z", [("Available", "2026-11-21T00:00:20Z")]),
    ]
    assert wave_order_violations(objects) == []


def test_an_object_created_before_the_previous_wave_was_ready_is_named():
    objects = [
        obj("Namespace", "ns", -1, "2026-11-21T00:00:00Z"),
        obj("Cluster", "pg", 1, "2026-11-21T00:00:04Z", [("Ready", "2026-11-21T00:00:30Z")]),
        obj("Service", "redis", 2, "2026-11-21T00:00:05Z"),
    ]
    violations = wave_order_violations(objects)
    assert len(violations) == 1
    assert "Service redis" in violations[0] and "wave 1 was ready at 2026-11-21T00:00:30" in violations[0]


def test_a_gate_that_never_became_ready_is_a_violation():
    objects = [
        obj("Cluster", "pg", 1, "2026-11-21T00:00:04Z", conditions=[]),
        obj("Service", "redis", 2, "2026-11-21T00:00:05Z"),
    ]
    assert wave_order_violations(objects) == ["wave 1 is not ready: Cluster pg"]


def test_statefulset_is_ready_when_its_pods_are():
    statefulset = obj("StatefulSet", "redis", 2, "2026-11-21T00:00:09Z", spec={"selector": {"matchLabels": {"app": "redis"}}})
    late_pod = obj("Pod", "redis-0", 2, "2026-11-21T00:00:10Z", [("Ready", "2026-11-21T00:00:40Z")], labels={"app": "redis"})
    early_dify = obj("Deployment", "dify-api", 3, "2026-11-21T00:00:20Z", [("Available", "2026-11-21T00:00:50Z")])
    assert len(wave_order_violations([statefulset, late_pod, early_dify])) == 1
