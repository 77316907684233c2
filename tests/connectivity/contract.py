"""The connectivity contract of one combination: every needed flow allowed, everything else denied.

The probes, each answered by cyclonus (engine.py) against the combination's rendered
NetworkPolicies:

* every derived flow (derive.py) must be allowed;
* every other (source, destination pod, port) must be denied, for every source among the
  platform's pods and the peers outside it (the router, Prometheus, the CNPG operator, and
  a pod of an unrelated namespace) and every port the destination listens on or is
  reached on;
* egress to an address outside every declared CIDR must be denied, on the usual ports,
  except the port-only egress rules listed in OPEN_EGRESS, each with its reason;
* egress into a declared CIDR (foundation_egress_cidrs, langfuse_egress_cidrs) is allowed
  only to a pod that needs some address in it in that combination ("declared");
* every pod reaches the cluster DNS on 53, and nothing else there.

Only TCP is probed (the engine is asked about TCP; DNS over UDP is not checked).
"""

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field

from connectivity import derive as deriving
from connectivity import engine

PLATFORM_SUBNET = "10.128.0.0/14"
UNDECLARED_IP = "192.0.2.200"  # outside every declared CIDR
PROBE_PORTS = (80, 443, 5432, 6443, 8080, 8443)
CIDR_PROBE_PORT = 9999  # a port no rule names: only a peer-wide ipBlock rule opens it
OUTSIDER = "outsider"

# Port-only egress rules (no peer), which open those ports towards any address. Each is
# a destination whose address no variable declares yet; listed so that the matrix shows
# them and any new one fails.
OPEN_EGRESS = {
    ("oauth2-proxy", 443): "the OIDC issuer through the router (foundation: no variable holds the router's address)",
    ("oauth2-proxy", 8443): "the OIDC issuer on 8443 (foundation)",
    ("langfuse-web", 443): "the OIDC issuer, an external ClickHouse or S3 over TLS (langfuse networkpolicies)",
    ("langfuse-web", 8443): "the same on 8443 (langfuse networkpolicies)",
    ("langfuse-worker", 443): "an external ClickHouse or S3 over TLS (langfuse networkpolicies)",
    ("langfuse-worker", 8443): "the same on 8443 (langfuse networkpolicies)",
    ("langfuse-migrate", 443): "an external ClickHouse over TLS, as the web (langfuse networkpolicies)",
    ("langfuse-migrate", 8443): "the same on 8443 (langfuse networkpolicies)",
    ("open-webui", 443): "the OIDC issuer through the router (open_webui networkpolicies, as oauth2-proxy)",
    ("open-webui", 8443): "the OIDC issuer on 8443 (open_webui networkpolicies)",
    ("portal", 443): "the OIDC issuer through the router (portal networkpolicies, as oauth2-proxy)",
    ("portal", 8443): "the OIDC issuer on 8443 (portal networkpolicies)",
    ("postgres", 443): "the instance manager's Kubernetes API (foundation: no variable holds its address)",
    ("postgres", 6443): "the Kubernetes API's endpoints (foundation)",
    ("keycloak-db", 443): "Keycloak's CNPG instance manager and the Kubernetes API (foundation)",
    ("keycloak-db", 6443): "the Kubernetes API's endpoints (foundation)",
}


@dataclass
class Probe:
    source: str
    target: str  # workload, or an address
    port: int
    needed: bool
    origin: str = ""
    verdict: engine.Verdict = None
    note: str = ""

    @property
    def status(self):
        if self.needed:
            return "ok" if self.verdict.allowed else "MISSING"
        if not self.verdict.allowed:
            return "ok"
        if self.note.startswith("declared"):
            return "declared"
        return "exception" if self.note else "EXCESS"


@dataclass
class Result:
    name: str
    flows: list
    probes: list = field(default_factory=list)
    model: object = None
    facts: dict = field(default_factory=dict)

    @property
    def failures(self):
        return [p for p in self.probes if p.status in ("MISSING", "EXCESS")]


def _ns_labels(namespace, extra=None):
    return tuple(sorted(dict(extra or {}, **{"kubernetes.io/metadata.name": namespace}).items()))


def _endpoints(model, objects, facts):
    """{workload: Endpoint} of the platform's pods and of the peers."""
    namespaces = {o["metadata"]["name"]: o["metadata"].get("labels", {}) for o in objects if o["kind"] == "Namespace"}
    hosts = ipaddress.ip_network(PLATFORM_SUBNET).hosts()
    endpoints = {}
    for pod in model.pods:
        endpoints[pod.workload] = engine.Endpoint(str(next(hosts)), pod.namespace, tuple(sorted(pod.labels.items())),
                                                  _ns_labels(pod.namespace, namespaces.get(pod.namespace)))
    monitoring = facts["monitoring_namespace_labels"]
    peers = {
        deriving.ROUTER: ("openshift-ingress", facts["ingress_namespace_labels"],
                          {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"}),
        deriving.PROMETHEUS: (monitoring.get("kubernetes.io/metadata.name", "monitoring"), monitoring,
                              {"app.kubernetes.io/name": "prometheus"}),
        deriving.CNPG_OPERATOR: (facts["postgres_operator_namespace"], {}, {"app.kubernetes.io/name": "cloudnative-pg"}),
        OUTSIDER: ("elsewhere", {}, {"app.kubernetes.io/name": "outsider"}),
        deriving.DNS: ("openshift-dns", {}, {"dns.operator.openshift.io/daemonset-dns": "default"}),
    }
    for name, (namespace, ns_labels, labels) in peers.items():
        endpoints[name] = engine.Endpoint(str(next(hosts)), namespace, tuple(sorted(labels.items())), _ns_labels(namespace, ns_labels))
    return endpoints


def _declared_probes(model, flows, cidrs):
    """Per pod and declared CIDR, one address in it nobody dials, on CIDR_PROBE_PORT."""
    probes = []
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr)
        probe_ip = str(network[min(99, network.num_addresses - 2)])
        users = {f.source for f in flows if f.external and ipaddress.ip_address(f.target) in network}
        for pod in model.pods:
            note = "declared: %s needs an address in %s" % (pod.workload, cidr) if pod.workload in users else ""
            probes.append(Probe(pod.workload, probe_ip, CIDR_PROBE_PORT, False, note=note))
    return probes


def probes_of(model, flows, endpoints, cidrs=()):
    needed = {f.as_tuple(): f for f in flows}
    probes = [Probe(f.source, f.target, f.port, True, f.origin) for f in flows]
    ports = defaultdict(set)
    for pod in model.pods:
        ports[pod.workload].update(pod.ports.values())
    for flow in flows:
        if not flow.external:
            ports[flow.target].add(flow.port)
    sources = [pod.workload for pod in model.pods] + [deriving.ROUTER, deriving.PROMETHEUS, deriving.CNPG_OPERATOR, OUTSIDER]
    for source in sources:
        for target in [pod.workload for pod in model.pods]:
            for port in sorted(ports[target]):
                if (source, target, port) not in needed:
                    probes.append(Probe(source, target, port, False))
    for source in [pod.workload for pod in model.pods]:
        for target in (UNDECLARED_IP, OUTSIDER, deriving.DNS):
            for port in PROBE_PORTS:
                if (source, target, port) not in needed:
                    probes.append(Probe(source, target, port, False, note=OPEN_EGRESS.get((source, port), "")))
    return probes + _declared_probes(model, flows, cidrs)


def _endpoint(endpoints, name):
    return endpoints.get(name) or engine.Endpoint(name)


def evaluate(rendered, cyclonus):
    """The Result of one rendered combination."""
    objects, facts = rendered.objects, rendered.facts
    model, flows, used = deriving.derive(objects, rendered.variables)
    endpoints = _endpoints(model, objects, facts)
    cidrs = list(rendered.variables.get("foundation_egress_cidrs", [])) + list(rendered.variables.get("langfuse_egress_cidrs", []))
    probes = probes_of(model, flows, endpoints, cidrs)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    verdicts = engine.query(cyclonus, policies, [(_endpoint(endpoints, p.source), _endpoint(endpoints, p.target), p.port)
                                                 for p in probes])
    for probe, verdict in zip(probes, verdicts):
        probe.verdict = verdict
    result = Result(rendered.combination.name, flows, probes, model, facts)
    result.used_exemptions = used
    return result


def needed_flows(result):
    """[(from_workload, to_workload_or_address, port)]: the data a live prober replays."""
    return [f.as_tuple() for f in result.flows]
