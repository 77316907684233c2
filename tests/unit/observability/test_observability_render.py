"""The observability role's templates, rendered by Ansible with the role's own defaults and vars (no cluster).

Checked here: the collector CR (restricted security, OTLP in, Prometheus out, traces optional), that
every monitor selects pods that the component roles really render with a container port of the name
it scrapes, the metrics NetworkPolicies, the external-Keycloak variant, and the GrafanaDashboards
(their JSON is the dashboard file, byte for byte once parsed).
"""

import json
from pathlib import Path

import pytest
import yaml

from helpers.role_render import render_role_objects

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
DIGEST = "@sha256:" + "a" * 64

BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_sandbox_enabled": False,
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "dify", "oauth2_proxy", "litellm", "observability"],
    "__observability_dashboard_dir": str(ROLES / "observability" / "files" / "dashboards"),
    "dify_platform_images": {
        name: f"harbor.example.test/dify-platform/{name}{DIGEST}" for name in ("otel_collector", "redis", "redis_exporter", "litellm", "oauth2_proxy")
    },
}

# Each component role's workload template and the role directory it lives in.
COMPONENTS = {
    "redis": ("redis", ["redis.yml.j2"]),
    "oauth2_proxy": ("oauth2_proxy", ["oauth2-proxy.yml.j2"]),
    "litellm": ("litellm", ["litellm.yml.j2"]),
}


def render(role, templates, **overrides):
    """The objects the role's templates render for the given variables (tests/helpers/role_render.py,
    which finds the templates every role shares as apply_wave does)."""
    return list(render_role_objects(role, templates, dict(BASE, **overrides)).values())


def by_kind_name(objects):
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


OBSERVABILITY_TEMPLATES = ["collector.yml.j2", "monitors.yml.j2", "networkpolicies.yml.j2", "dashboards.yml.j2"]


@pytest.fixture(scope="module")
def objects():
    return by_kind_name(render("observability", OBSERVABILITY_TEMPLATES))


@pytest.fixture(scope="module")
def component_pods():
    """Pod templates of the component roles, as those roles render them."""
    pods = []
    for role, templates in COMPONENTS.values():
        for obj in render(role, templates):
            if obj["kind"] in ("Deployment", "StatefulSet"):
                pods.append(obj["spec"]["template"])
    return pods


def test_collector_runs_restricted_and_receives_otlp(objects):
    collector = objects[("OpenTelemetryCollector", "otel")]
    spec = collector["spec"]
    assert collector["apiVersion"] == "opentelemetry.io/v1beta1"
    assert spec["image"].endswith(DIGEST)
    assert spec["podSecurityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "runAsUser" not in json.dumps(spec)
    assert collector["metadata"]["labels"]["app.kubernetes.io/name"] == "otel-collector"
    assert spec["serviceAccount"] == "otel-collector"
    config = spec["config"]
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert config["service"]["pipelines"]["metrics"]["exporters"] == ["prometheus"]
    assert config["exporters"]["prometheus"]["endpoint"] == "0.0.0.0:8889"
    # Traces are off by default: accepted and dropped, nothing leaves the cluster.
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["debug/drop"]
    assert not any(name.startswith("otlp") for name in config["exporters"])


def test_traces_go_to_the_backend_when_enabled():
    rendered = by_kind_name(
        render(
            "observability",
            ["collector.yml.j2", "networkpolicies.yml.j2"],
            observability_traces_enabled=True,
            observability_traces_endpoint="https://tempo.example.test/v1/traces",
            observability_traces_auth_secret="tempo-auth",
        )
    )
    spec = rendered[("OpenTelemetryCollector", "otel")]["spec"]
    exporter = spec["config"]["exporters"]["otlphttp/traces"]
    assert exporter["traces_endpoint"] == "https://tempo.example.test/v1/traces"
    assert exporter["headers"]["Authorization"] == "${env:OTLP_TRACES_AUTHORIZATION}"
    assert spec["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "tempo-auth", "key": "authorization"}
    assert spec["config"]["service"]["pipelines"]["traces"]["exporters"] == ["otlphttp/traces"]
    egress = rendered[("NetworkPolicy", "otel-collector-traces-egress")]["spec"]
    assert egress["egress"] == [{"ports": [{"port": 443, "protocol": "TCP"}]}]


def _matches(selector, labels):
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


@pytest.mark.parametrize("monitor", ["redis", "redis-broker", "litellm", "oauth2-proxy"])
def test_each_pod_monitor_scrapes_a_port_the_component_really_has(objects, component_pods, monitor):
    spec = objects[("PodMonitor", monitor)]["spec"]
    selected = [pod for pod in component_pods if _matches(spec["selector"], pod["metadata"]["labels"])]
    assert len(selected) == 1, f"{monitor} selects {len(selected)} pod templates"
    ports = {port["name"] for container in selected[0]["spec"]["containers"] for port in container.get("ports", [])}
    for endpoint in spec["podMetricsEndpoints"]:
        assert endpoint["port"] in ports, f"{monitor} scrapes port {endpoint['port']}, the pods have {sorted(ports)}"


def test_a_monitor_of_a_port_nobody_has_would_be_caught(objects, component_pods):
    """The check above can fail: a PodMonitor aimed at a port that does not exist is reported."""
    spec = json.loads(json.dumps(objects[("PodMonitor", "redis")]["spec"]))
    spec["podMetricsEndpoints"][0]["port"] = "exporter"
    selected = [pod for pod in component_pods if _matches(spec["selector"], pod["metadata"]["labels"])]
    ports = {port["name"] for container in selected[0]["spec"]["containers"] for port in container.get("ports", [])}
    assert "exporter" not in ports


def test_litellm_metrics_are_scraped_with_a_key(objects):
    endpoint = objects[("PodMonitor", "litellm")]["spec"]["podMetricsEndpoints"][0]
    assert endpoint["path"] == "/metrics/"
    assert endpoint["authorization"] == {"type": "Bearer", "credentials": {"name": "dify-platform-litellm-metrics", "key": "token"}}


def test_collector_service_monitor_leaves_the_headless_service_out(objects):
    spec = objects[("ServiceMonitor", "otel-collector")]["spec"]
    assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/instance": "ai.otel", "app.kubernetes.io/managed-by": "opentelemetry-operator"}
    assert spec["selector"]["matchExpressions"] == [
        {"key": "operator.opentelemetry.io/collector-service-type", "operator": "In", "values": ["base", "monitoring"]}
    ]
    assert [endpoint["port"] for endpoint in spec["endpoints"]] == ["prometheus", "monitoring"]


def test_external_keycloak_is_skipped_without_addresses(objects):
    assert not [key for key in objects if key[1].startswith("keycloak")]


def test_external_keycloak_with_addresses_gets_a_service_and_endpoints():
    rendered = by_kind_name(render("observability", ["monitors.yml.j2"], observability_keycloak_external_addresses=["10.1.2.3", "10.1.2.4"]))
    service = rendered[("Service", "keycloak-external-metrics")]
    assert "selector" not in service["spec"]
    slice_ = rendered[("EndpointSlice", "keycloak-external-metrics")]
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "keycloak-external-metrics"
    assert [endpoint["addresses"] for endpoint in slice_["endpoints"]] == [["10.1.2.3"], ["10.1.2.4"]]
    monitor = rendered[("ServiceMonitor", "keycloak")]["spec"]
    assert _matches(monitor["selector"], service["metadata"]["labels"])
    assert monitor["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"] == "management"
    assert monitor["endpoints"][0]["tlsConfig"]["ca"]["configMap"] == {"name": "dify-platform-ca-bundle", "key": "ca-bundle.crt"}


def test_operator_keycloak_is_scraped_on_the_operators_management_port():
    rendered = by_kind_name(render("observability", ["monitors.yml.j2"], observability_keycloak_mode="operator"))
    monitor = rendered[("ServiceMonitor", "keycloak")]["spec"]
    # Labels and port name of the Keycloak operator's Service (org.keycloak.operator.Constants, Utils.allInstanceLabels).
    assert monitor["selector"]["matchLabels"] == {
        "app": "keycloak",
        "app.kubernetes.io/managed-by": "keycloak-operator",
        "app.kubernetes.io/instance": "keycloak",
    }
    assert monitor["endpoints"][0]["port"] == "management"


def test_monitoring_namespaces_reach_each_metrics_port(objects):
    ports = {}
    for (kind, name), obj in objects.items():
        if kind == "NetworkPolicy" and name.startswith("allow-metrics-"):
            (rule,) = obj["spec"]["ingress"]
            assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "openshift-user-workload-monitoring"}}}]
            ports[obj["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]] = sorted(p["port"] for p in rule["ports"])
    assert ports == {"redis": [9121], "redis-broker": [9121], "litellm": [4000], "oauth2-proxy": [44180], "postgres": [9187], "otel-collector": [8888, 8889]}


def test_dashboards_carry_the_dashboard_files(objects):
    files = sorted((ROLES / "observability" / "files" / "dashboards").glob("*.json"))
    assert len(files) == 3
    rendered = {obj["spec"]["json"] for (kind, _name), obj in objects.items() if kind == "GrafanaDashboard"}
    assert {json.dumps(json.loads(text), sort_keys=True) for text in rendered} == {json.dumps(json.loads(path.read_text()), sort_keys=True) for path in files}
    for (kind, _name), obj in objects.items():
        if kind == "GrafanaDashboard":
            assert obj["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}}


def test_components_are_switched_to_serve_metrics(component_pods):
    """LiteLLM gets the prometheus callback and OAuth2-Proxy its metrics address when the wave is enabled."""
    config = render("litellm", ["config.yml.j2"])[0]
    settings = yaml.safe_load(config["data"]["config.yaml"])["litellm_settings"]
    assert "prometheus" in settings["callbacks"]
    proxy = next(pod for pod in component_pods if pod["metadata"]["labels"]["app.kubernetes.io/name"] == "oauth2-proxy")
    assert "--metrics-address=0.0.0.0:44180" in proxy["spec"]["containers"][0]["args"]
    without = render("litellm", ["config.yml.j2"], dify_platform_components=["litellm"])[0]
    assert "callbacks" not in yaml.safe_load(without["data"]["config.yaml"])["litellm_settings"]
