"""A STAND-IN for the OpenTelemetry operator on kind: what it makes of each OpenTelemetryCollector (mode deployment).

The operator is not built here (it is no entry of release/manifest.yml: OLM installs it on
OpenShift), so the kind scenario reconciles the observability wave's CR once, the way the operator
does, and the REAL collector image (hack/images/otel-collector) runs the role's configuration:

* a ConfigMap ``<name>-collector`` with the CR's ``spec.config`` as ``collector.yaml``;
* a Deployment ``<name>-collector``: container ``otc-container``, ``--config=/conf/collector.yaml``
  from volume ``otc-internal`` (internal/manifests/collector/container.go), the CR's image, pull
  policy, ServiceAccount, pod and container securityContext, resources, env, replicas and spread;
* Services ``<name>-collector`` (the receivers' and the exporter's ports) and
  ``<name>-collector-monitoring`` (port ``monitoring``, the telemetry port) (service.go);
* labels as manifestutils.Labels gives them: the CR's labels, then the selector labels
  (managed-by opentelemetry-operator, instance <ns>.<name>, part-of opentelemetry, component
  opentelemetry-collector); the CR's app.kubernetes.io/name is kept.

Upstream: github.com/open-telemetry/opentelemetry-operator, internal/manifests/collector and
internal/manifests/manifestutils/labels.go (main, read 2026-12). Idempotent (server-side apply).

  python otel_operator_standin.py <namespace>     (KUBECONFIG from the environment)
"""

import json
import re
import subprocess
import sys

import yaml

COMPONENT = "opentelemetry-collector"
OTLP_PORT_NAMES = {"grpc": "otlp-grpc", "http": "otlp-http"}
FIELD_MANAGER = "airgap-otel-operator-standin"


def _port(endpoint, default):
    match = re.search(r":(\d+)$", str(endpoint or ""))
    return int(match.group(1)) if match else default


def ports_of(config):
    """[(name, port)] of the receivers and the prometheus exporter, and the telemetry (metrics) port."""
    ports = []
    for protocol, settings in sorted((config.get("receivers", {}).get("otlp", {}).get("protocols") or {}).items()):
        ports.append((OTLP_PORT_NAMES.get(protocol, protocol), _port((settings or {}).get("endpoint"), 4317)))
    exporter = config.get("exporters", {}).get("prometheus")
    if exporter:
        ports.append(("prometheus", _port(exporter.get("endpoint"), 8889)))
    metrics = 8888
    for reader in config.get("service", {}).get("telemetry", {}).get("metrics", {}).get("readers", []):
        metrics = reader.get("pull", {}).get("exporter", {}).get("prometheus", {}).get("port", metrics)
    return ports, int(metrics)


def objects(cr):
    meta, spec = cr["metadata"], cr["spec"]
    name, namespace = meta["name"] + "-collector", meta["namespace"]
    selector = {"app.kubernetes.io/managed-by": "opentelemetry-operator",
                "app.kubernetes.io/instance": "%s.%s" % (namespace, meta["name"]),
                "app.kubernetes.io/part-of": "opentelemetry", "app.kubernetes.io/component": COMPONENT}
    labels = dict(meta.get("labels") or {}, **selector)
    labels.setdefault("app.kubernetes.io/name", name)
    ports, metrics = ports_of(spec.get("config") or {})
    container = {
        "name": "otc-container", "image": spec["image"], "imagePullPolicy": spec.get("imagePullPolicy", "IfNotPresent"),
        "args": ["--config=/conf/collector.yaml"],
        "env": [*(spec.get("env") or []), {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "ports": sorted([{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports]
                        + [{"name": "metrics", "containerPort": metrics, "protocol": "TCP"}], key=lambda p: p["name"]),
        "volumeMounts": [{"name": "otc-internal", "mountPath": "/conf"}],
        "resources": spec.get("resources") or {},
        "securityContext": spec.get("securityContext") or {},
    }
    pod = {"serviceAccountName": spec.get("serviceAccount") or name, "containers": [container],
           "securityContext": spec.get("podSecurityContext") or {},
           "volumes": [{"name": "otc-internal", "configMap": {"name": name, "items": [{"key": "collector.yaml", "path": "collector.yaml"}]}}]}
    if spec.get("topologySpreadConstraints"):
        pod["topologySpreadConstraints"] = spec["topologySpreadConstraints"]
    config = yaml.safe_dump(spec.get("config") or {}, sort_keys=True)
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, "labels": labels},
         "data": {"collector.yaml": config}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": labels},
         "spec": {"replicas": int(spec.get("replicas", 1)), "selector": {"matchLabels": selector},
                  "template": {"metadata": {"labels": labels,
                                            "annotations": {"opentelemetry-operator-config/sha256": _sha(config)}},
                               "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace, "labels": labels},
         "spec": {"selector": selector, "ports": [{"name": n, "port": p, "targetPort": p, "protocol": "TCP"} for n, p in ports]}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": name + "-monitoring", "namespace": namespace,
                      "labels": dict(labels, **{"operator.opentelemetry.io/collector-monitoring-service": "Exists"})},
         "spec": {"selector": selector, "ports": [{"name": "monitoring", "port": metrics}]}},
    ]


def _sha(text):
    import hashlib  # pylint: disable=import-outside-toplevel
    return hashlib.sha256(text.encode()).hexdigest()


def main(namespace):
    # kubectl from PATH with fixed arguments.
    found = subprocess.run(  # noqa: S603
        ["kubectl", "get", "opentelemetrycollectors.opentelemetry.io", "-n", namespace, "-o", "json"],  # noqa: S607
        capture_output=True, text=True, check=True)
    made = []
    for cr in json.loads(found.stdout)["items"]:
        if cr["spec"].get("mode", "deployment") != "deployment":
            raise SystemExit("%s: mode %s is not reconciled by this stand-in" % (cr["metadata"]["name"], cr["spec"]["mode"]))
        items = objects(cr)
        subprocess.run(  # noqa: S603
            ["kubectl", "apply", "--server-side", "--force-conflicts", "--field-manager=" + FIELD_MANAGER, "-f", "-"],  # noqa: S607
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), text=True,
            capture_output=True, check=True)
        made.append(items[1]["metadata"]["name"])
    print("reconciled=%s" % ",".join(made))


if __name__ == "__main__":
    main(sys.argv[1])
