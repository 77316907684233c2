"""What a run prints: the failure of a wave, the report, and the check-mode split."""

from ansible_collections.airgap.dify_platform.plugins.filter.in_missing_namespaces import in_missing_namespaces
from ansible_collections.airgap.dify_platform.plugins.filter.wave_failure import wave_failure
from ansible_collections.airgap.dify_platform.plugins.filter.wave_report import wave_report


def gate(kind, name, namespace="dify-platform"):
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace}}


def event(kind, name, reason, message, at, namespace="dify-platform"):
    return {"involvedObject": {"kind": kind, "name": name, "namespace": namespace},
            "reason": reason, "message": message, "lastTimestamp": at}


def deployment(name, available):
    obj = gate("Deployment", name)
    obj["spec"] = {"replicas": 2}
    obj["status"] = {"replicas": 2, "updatedReplicas": 2, "availableReplicas": available}
    return obj


def test_a_timeout_names_the_blocking_object_and_its_newest_events_only():
    failed = {"msg": "Resource apply timed out"}
    gates = [deployment("dify-web", 2), deployment("dify-api", 1)]
    events = [event("Pod", "dify-api-7d9-x", "BackOff", "pulling image %d" % i, "2026-11-21T00:00:%02dZ" % i) for i in range(8)]
    events.append(event("Pod", "dify-web-1", "Pulled", "web is fine", "2026-11-21T00:01:00Z"))
    events.append(event("Pod", "dify-api-other-ns", "Failed", "elsewhere", "2026-11-21T00:02:00Z", namespace="other"))
    message = wave_failure(failed, 3, "dify", 600, gates, events)
    assert "Wave 3 (dify) did not become ready within 600s" in message
    assert "Deployment dify-platform/dify-api (status: replicas=2, availableReplicas=1)" in message
    assert "dify-web" not in message and "elsewhere" not in message
    assert "pulling image 7" in message and "pulling image 3" in message and "pulling image 2" not in message


def test_an_apply_failure_says_so():
    message = wave_failure({"msg": "Failed to apply object: Route.route.openshift.io is invalid"}, 3, "dify", 600, [deployment("dify-web", 2)], [])
    assert message.startswith("Wave 3 (dify) failed while applying its objects")
    assert "Route.route.openshift.io is invalid" in message


def test_the_report_is_in_wave_order_with_route_urls():
    lines = wave_report(
        [{"wave": 3, "component": "dify", "objects": 20, "seconds": 12.34},
         {"wave": -1, "component": "foundation", "objects": 40, "seconds": 1.0}],
        [{"metadata": {"name": "dify"}, "spec": {"host": "dify.apps.example.internal"}}])
    assert lines[1].split()[:3] == ["-1", "foundation", "40"]
    assert lines[2].split() == ["3", "dify", "20", "12.3"]
    assert lines[3] == "route dify           https://dify.apps.example.internal"


def test_check_mode_reports_objects_of_namespaces_that_do_not_exist():
    objects = [{"kind": "Namespace", "metadata": {"name": "new"}},
               {"kind": "SecurityContextConstraints", "metadata": {"name": "scc"}},
               gate("ServiceAccount", "a", "new"), gate("ServiceAccount", "b", "old")]
    assert in_missing_namespaces(objects, ["old", "default"]) == [gate("ServiceAccount", "a", "new")]


def test_a_cluster_without_ready_condition_blocks():
    cluster = gate("Cluster", "pg")
    cluster["status"] = {"phase": "Setting up primary", "conditions": [{"type": "Ready", "status": "False"}]}
    message = wave_failure({"msg": "timed out"}, 1, "postgres", 60, [cluster], [])
    assert "Blocked by Cluster dify-platform/pg (status: Ready=False; Setting up primary)" in message


def test_secret_values_keep_secrets_and_leave_names_out():
    import base64

    from ansible_collections.airgap.dify_platform.plugins.filter.secret_values import secret_values

    def b64(text):
        return base64.b64encode(text.encode()).decode()

    secrets = [{"metadata": {"namespace": "ns", "name": "oidc"},
                "data": {"client-id": b64("oauth2-proxy-long-name"), "client-secret": b64("s3cr3t-value-long"), "short": b64("abc")}}]
    assert secret_values(secrets) == {"ns/oidc/client-secret": "s3cr3t-value-long"}
