"""The pods, Services and Routes of the rendered objects, including what operators make of their CRs.

The platform's own Deployments, StatefulSets and Jobs give their pods directly. Three kinds
of pods are made by operators from a custom resource, so their labels, ports and Services
are modelled here from the operators' sources:

* CloudNativePG ``Cluster`` (cloudnative-pg/cloudnative-pg v1.30.1, the version of
  hack/localcluster/versions.env: pkg/specs/pods.go, pkg/management/url/url.go,
  pkg/specs/services.go, docs/src/networking.md): instance pods carry
  ``inheritedMetadata.labels`` plus ``cnpg.io/cluster: <name>`` (``k8s.enterprisedb.io/cluster``
  for EDB); containers expose ``postgresql`` 5432, ``metrics`` 9187 and ``status`` 8000;
  Services ``<name>-rw``, ``<name>-ro`` and ``<name>-r`` on 5432. "The operator can reach
  every cluster pod on ports 8000 and 5432, and pods can connect to each other"
  (networking.md), and the instance manager talks to the Kubernetes API.
* Keycloak ``Keycloak`` (keycloak/keycloak operator/src/main/java/org/keycloak/operator/
  Constants.java and controllers/KeycloakDeploymentDependentResource.java, 26.x): pods
  carry ``app: keycloak``, ``app.kubernetes.io/managed-by: keycloak-operator``,
  ``app.kubernetes.io/instance: <name>`` and the labels of
  ``spec.unsupported.podTemplate.metadata``; ports ``http`` 8080, ``management`` 9000,
  JGroups 7800 (data) and 57800 (failure detection); Services ``<name>-service`` (http,
  management) and ``<name>-discovery`` (7800).
* OpenTelemetry ``OpenTelemetryCollector`` (open-telemetry/opentelemetry-operator
  internal/manifests/collector/service.go): pods keep the CR's labels; Services
  ``<name>-collector`` (the receivers' ports and the exporter's ``prometheus``) and
  ``<name>-collector-monitoring`` (``monitoring`` 8888).
"""

import re
from dataclasses import dataclass, field

CNPG_GROUPS = {"postgresql.cnpg.io": "cnpg.io/cluster", "postgresql.k8s.enterprisedb.io": "k8s.enterprisedb.io/cluster"}
KEYCLOAK_DEFAULT_LABELS = {"app": "keycloak", "app.kubernetes.io/managed-by": "keycloak-operator"}
KEYCLOAK_PORTS = {"http": 8080, "management": 9000, "jgroups": 7800, "jgroups-fd": 57800}
OTEL_RECEIVER_PORTS = {"grpc": "otlp-grpc", "http": "otlp-http"}


@dataclass
class Pod:
    """The pods of one workload: what the matrix calls ``workload``."""

    workload: str
    namespace: str
    labels: dict
    ports: dict = field(default_factory=dict)  # container port name -> number
    replicas: int = 1
    # (origin, text): where a connection can be read from, e.g. ("env:DB_HOST", "dify-platform-pg-rw").
    texts: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    # Connections an operator's pod opens by construction: (host, port, origin).
    dials: list = field(default_factory=list)


@dataclass
class Service:
    name: str
    namespace: str
    labels: dict
    selector: dict
    ports: list  # [{'name', 'port', 'targetPort'}]


@dataclass
class Model:
    pods: list
    services: list
    routes: list  # [(host, service name, namespace, targetPort)]
    monitors: list  # [(kind, namespace, selector, [port names])]
    secrets: dict  # (namespace, name) -> {key: value}; only ever read for URLs
    configmaps: dict  # (namespace, name) -> {key: text}

    def pod(self, workload):
        for pod in self.pods:
            if pod.workload == workload:
                return pod
        raise KeyError(workload)

    def pods_selected(self, namespace, selector):
        return [pod for pod in self.pods if pod.namespace == namespace and selector
                and all(pod.labels.get(k) == v for k, v in selector.items())]


def _value(env_entry, model, namespace):
    """An env entry's value; a secretKeyRef or configMapKeyRef read from the rendered objects when there."""
    if "value" in env_entry:
        return str(env_entry["value"])
    source = env_entry.get("valueFrom", {})
    for kind, store in (("secretKeyRef", model.secrets), ("configMapKeyRef", model.configmaps)):
        ref = source.get(kind)
        if ref:
            return store.get((namespace, ref["name"]), {}).get(ref["key"])
    return None


def _pod_from_template(obj, model):
    template = obj["spec"]["template"]
    labels = template.get("metadata", {}).get("labels", {})
    namespace = obj["metadata"]["namespace"]
    spec = template["spec"]
    pod = Pod(labels.get("app.kubernetes.io/name", obj["metadata"]["name"]), namespace, labels,
              replicas=int(obj["spec"].get("replicas", 1) if obj["kind"] != "Job" else 1))
    mounted = [v["configMap"]["name"] for v in spec.get("volumes", []) if "configMap" in v]
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        for port in container.get("ports", []):
            pod.ports[port.get("name") or str(port["containerPort"])] = port["containerPort"]
        for entry in container.get("env", []):
            value = _value(entry, model, namespace)
            if value is not None:
                pod.env[entry["name"]] = value
                pod.texts.append(("env:" + entry["name"], value))
        for word in container.get("command", []) + container.get("args", []):
            pod.texts.append(("arg", str(word)))
    for name in mounted:
        for key, text in model.configmaps.get((namespace, name), {}).items():
            pod.texts.append(("config:%s/%s" % (name, key), text))
    return pod


def _cnpg(obj):
    name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
    cluster_label = CNPG_GROUPS[obj["apiVersion"].split("/")[0]]
    labels = dict(obj["spec"].get("inheritedMetadata", {}).get("labels", {}), **{cluster_label: name})
    instances = int(obj["spec"].get("instances", 1))
    pod = Pod(labels.get("app.kubernetes.io/name", name), namespace, labels,
              {"postgresql": 5432, "metrics": 9187, "status": 8000}, instances)
    if instances > 1:
        # Streaming replication: the standbys connect to the primary on 5432.
        pod.dials.append(("%s-rw" % name, 5432, "replication"))
    services = [Service("%s-%s" % (name, suffix), namespace, {cluster_label: name}, {cluster_label: name},
                        [{"name": "postgres", "port": 5432, "targetPort": 5432}]) for suffix in ("rw", "ro", "r")]
    return pod, services


def _keycloak(obj):
    name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
    spec = obj["spec"]
    template_labels = spec.get("unsupported", {}).get("podTemplate", {}).get("metadata", {}).get("labels", {})
    labels = dict(KEYCLOAK_DEFAULT_LABELS, **{"app.kubernetes.io/instance": name}, **template_labels)
    instances = int(spec.get("instances", 1))
    pod = Pod(labels.get("app.kubernetes.io/name", "keycloak-operator-pods"), namespace, labels, dict(KEYCLOAK_PORTS), instances)
    db = spec.get("db", {})
    if db.get("host"):
        pod.dials.append((db["host"], int(db.get("port", 5432)), "spec.db.host"))
    if instances > 1:
        # JGroups between replicas: data on 7800 through the discovery Service, failure
        # detection on 57800 pod to pod (Constants.KEYCLOAK_JGROUPS_DATA_PORT/_FD_PORT).
        pod.dials.append(("%s-discovery" % name, 7800, "jgroups data"))
        pod.dials.append(("pod:" + pod.workload, 57800, "jgroups failure detection"))
    selector = dict(KEYCLOAK_DEFAULT_LABELS, **{"app.kubernetes.io/instance": name})
    services = [
        Service("%s-service" % name, namespace, selector, selector,
                [{"name": "http", "port": 8080, "targetPort": 8080}, {"name": "management", "port": 9000, "targetPort": 9000}]),
        Service("%s-discovery" % name, namespace, selector, selector, [{"name": "tcp", "port": 7800, "targetPort": 7800}]),
    ]
    return pod, services


def _port_of(endpoint):
    match = re.search(r":(\d+)$", str(endpoint))
    return int(match.group(1)) if match else None


def _otel(obj):
    name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
    labels = dict(obj["metadata"].get("labels", {}))
    config = obj["spec"].get("config", {})
    ports = {}
    for protocol, settings in config.get("receivers", {}).get("otlp", {}).get("protocols", {}).items():
        ports[OTEL_RECEIVER_PORTS.get(protocol, protocol)] = _port_of(settings.get("endpoint")) or 4317
    exporter = config.get("exporters", {}).get("prometheus", {})
    if exporter:
        ports["prometheus"] = _port_of(exporter.get("endpoint"))
    telemetry = config.get("service", {}).get("telemetry", {}).get("metrics", {}).get("readers", [])
    for reader in telemetry:
        port = reader.get("pull", {}).get("exporter", {}).get("prometheus", {}).get("port")
        if port:
            ports["monitoring"] = int(port)
    pod = Pod(labels.get("app.kubernetes.io/name", name + "-collector"), namespace, labels, ports,
              int(obj["spec"].get("replicas", 1)))
    for exporter_name, settings in config.get("exporters", {}).items():
        for key in ("endpoint", "traces_endpoint", "metrics_endpoint"):
            if exporter_name != "prometheus" and isinstance(settings, dict) and settings.get(key):
                pod.texts.append(("exporter:%s.%s" % (exporter_name, key), str(settings[key])))
    instance = {"app.kubernetes.io/instance": "%s.%s" % (namespace, name), "app.kubernetes.io/managed-by": "opentelemetry-operator"}
    selector = dict(instance, **{"app.kubernetes.io/component": "opentelemetry-collector"})
    base = [{"name": n, "port": p, "targetPort": p} for n, p in ports.items() if n != "monitoring"]
    services = [
        Service(name + "-collector", namespace, dict(instance, **{"operator.opentelemetry.io/collector-service-type": "base"}), selector, base),
        Service(name + "-collector-monitoring", namespace,
                dict(instance, **{"operator.opentelemetry.io/collector-service-type": "monitoring"}), selector,
                [{"name": "monitoring", "port": ports.get("monitoring", 8888), "targetPort": ports.get("monitoring", 8888)}]),
    ]
    # The operator's Deployment labels its pods with the selector as well.
    pod.labels = dict(pod.labels, **selector)
    return pod, services


def build(objects):
    """The Model of a list of rendered objects."""
    secrets, configmaps = {}, {}
    for obj in objects:
        key = (obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if obj["kind"] == "Secret":
            secrets[key] = dict(obj.get("stringData") or {})
        elif obj["kind"] == "ConfigMap":
            configmaps[key] = dict(obj.get("data") or {})
    model = Model([], [], [], [], secrets, configmaps)
    for obj in objects:
        kind, meta = obj["kind"], obj["metadata"]
        if kind in ("Deployment", "StatefulSet", "Job"):
            model.pods.append(_pod_from_template(obj, model))
        elif kind == "Service":
            model.services.append(Service(meta["name"], meta["namespace"], meta.get("labels", {}),
                                          obj["spec"].get("selector", {}), obj["spec"].get("ports", [])))
        elif kind == "Route":
            spec = obj["spec"]
            model.routes.append((spec["host"], spec["to"]["name"], meta["namespace"], spec.get("port", {}).get("targetPort")))
        elif kind in ("PodMonitor", "ServiceMonitor"):
            endpoints = obj["spec"].get("podMetricsEndpoints") or obj["spec"].get("endpoints") or []
            model.monitors.append((kind, meta["namespace"], obj["spec"]["selector"], [e.get("port") for e in endpoints]))
        elif kind == "Cluster" and obj["apiVersion"].split("/")[0] in CNPG_GROUPS:
            pod, services = _cnpg(obj)
            model.pods.append(pod)
            model.services.extend(services)
        elif kind == "Keycloak":
            pod, services = _keycloak(obj)
            model.pods.append(pod)
            model.services.extend(services)
        elif kind == "OpenTelemetryCollector":
            pod, services = _otel(obj)
            model.pods.append(pod)
            model.services.extend(services)
    return model
