"""What a run prints: the failure of a wave and the report."""

from ansible_collections.airgap.dify_platform.plugins.filter.wave_report import wave_report
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import not_ready_message


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
    gates = [deployment("dify-web", 2), deployment("dify-api", 1)]
    events = [event("Pod", "dify-api-7d9-x", "BackOff", "pulling image %d" % i, "2026-11-21T00:00:%02dZ" % i) for i in range(8)]
    events.append(event("Pod", "dify-web-1", "Pulled", "web is fine", "2026-11-21T00:01:00Z"))
    events.append(event("Pod", "dify-api-other-ns", "Failed", "elsewhere", "2026-11-21T00:02:00Z", namespace="other"))
    message = not_ready_message(3, "dify", 600, gates, events)
    assert "Wave 3 (dify) did not become ready within 600s" in message
    assert "Deployment dify-platform/dify-api (status: replicas=2, availableReplicas=1)" in message
    assert "dify-web" not in message and "elsewhere" not in message
    assert "pulling image 7" in message and "pulling image 3" in message and "pulling image 2" not in message


def test_the_report_is_in_wave_order_with_route_urls():
    lines = wave_report(
        [{"wave": 3, "component": "dify", "objects": 20, "seconds": 12.34},
         {"wave": -1, "component": "foundation", "objects": 40, "seconds": 1.0}],
        [{"name": "dify", "namespace": "dify-platform", "host": "dify.apps.example.internal", "tls": True},
         {"name": "plain", "namespace": "dify-platform", "host": "plain.apps.example.internal", "tls": False},
         {"name": "otlp", "url": "http://otel-collector.ns.svc:4318"}])
    assert lines[1].split()[:3] == ["-1", "foundation", "40"]
    assert lines[2].split() == ["3", "dify", "20", "12.3"]
    assert lines[3] == "route dify               https://dify.apps.example.internal"
    assert lines[4] == "route plain              http://plain.apps.example.internal"
    assert lines[5] == "link  otlp               http://otel-collector.ns.svc:4318"


def test_a_cluster_without_ready_condition_blocks():
    cluster = dict(gate("Cluster", "pg"), apiVersion="postgresql.cnpg.io/v1", spec={"instances": 3})
    cluster["status"] = {"phase": "Setting up primary", "conditions": [{"type": "Ready", "status": "False"}]}
    message = not_ready_message(1, "postgres", 60, [cluster], [])
    assert "Blocked by Cluster dify-platform/pg (status: Ready=False; Setting up primary), not ready: " in message
    assert "readyInstances 0 of 3" in message


def test_secret_values_keep_secrets_and_leave_names_out():
    import base64

    from ansible_collections.airgap.dify_platform.plugins.filter.secret_values import secret_values

    def b64(text):
        return base64.b64encode(text.encode()).decode()

    secrets = [{"metadata": {"namespace": "ns", "name": "oidc"},
                "data": {"client-id": b64("oauth2-proxy-long-name"), "client-secret": b64("s3cr3t-value-long"), "short": b64("abc")}}]
    assert secret_values(secrets) == {"ns/oidc/client-secret": "s3cr3t-value-long"}
