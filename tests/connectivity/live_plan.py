"""What the live prober (live.py) dials, and how it judges the answers: pure functions, no cluster.

The flows come from the contract (flows.py: derived from the rendered objects). On a real
cluster only some components run, so each flow is either probed or skipped with its reason:

* a declared flow whose source and destination both have pods on the cluster is dialled from
  a pod of the source (its own network namespace, so its labels and namespace are the ones
  the NetworkPolicies see) to the destination's Service (ClusterIP and Service port, the way
  the program dials it), or to a pod IP where no Service fronts the port; it must connect;
* a sample of undeclared (source, destination, port) pairs between the running workloads is
  dialled the same way, and must NOT connect;
* every destination port is also dialled from inside the destination pod itself, to its own
  pod IP (loopback, never filtered): the listener control. A refused declared flow whose
  listener answers is a policy failure; an undeclared flow counts as denied only when the
  listener answers (otherwise the probe proves nothing: inconclusive).
"""

import hashlib
from dataclasses import dataclass, field

from connectivity.derive import APISERVER_IP, DNS

# Labels the contract renders that a live pod may carry with another value.
VARYING_LABELS = frozenset({"app.kubernetes.io/version", "helm.sh/chart"})
# Labels a live pod must carry, with any value: the OpenTelemetry operator sets
# app.kubernetes.io/part-of=opentelemetry on the collector's pods over the CR's value, and
# app.kubernetes.io/instance=<namespace>.<name>, whose namespace is the contract's (``ai``) there
# and the live one here (opentelemetry-operator internal/manifests/manifestutils/labels.go, SelectorLabels).
PRESENT_LABELS = frozenset({"app.kubernetes.io/part-of", "app.kubernetes.io/instance"})
# Sources and destinations that are not platform pods: the contract's peers (derive.py).
PEERS = {"router": "the OpenShift router (kind has none)", "prometheus": "Prometheus (not installed on kind)",
         "cnpg-operator": "the CloudNativePG operator (not installed by these waves)"}


@dataclass(frozen=True)
class LivePod:
    name: str
    namespace: str
    labels: dict = field(hash=False, compare=False)
    ip: str
    running: bool
    owner: str = ""  # kind of the owner (ReplicaSet, StatefulSet, Job, ...)


@dataclass(frozen=True)
class LiveService:
    name: str
    namespace: str
    selector: dict = field(hash=False, compare=False)
    cluster_ip: str
    ports: tuple  # ((service port, targetPort as int or name, protocol), ...)


@dataclass(frozen=True)
class Source:
    """Where a workload's probes start: an existing pod, or a twin pod (a bare pod with the
    workload's labels in its namespace) for a Job whose pods have finished."""

    workload: str
    namespace: str
    pod: str = ""  # empty: a twin is made
    labels: tuple = ()  # (key, value) pairs for the twin


@dataclass(frozen=True)
class Probe:
    source: str
    target: str
    port: int  # the destination's container port, as the contract names the flow
    declared: bool
    address: str
    dial_port: int
    via: str  # e.g. "svc/redis:6379" or "pod/redis-0"


@dataclass(frozen=True)
class Skip:
    source: str
    target: str
    port: int
    reason: str


def combination_for(variables):
    """The contract combination (render.DIMENSIONS) that an inventory's variables choose."""
    components = variables.get("dify_platform_components") or []
    if "langfuse" not in components:
        langfuse = "off"
    else:
        langfuse = "external" if variables.get("langfuse_clickhouse_mode") == "external" else "in-cluster"
    sandbox = variables.get("dify_platform_sandbox_enabled", True)
    return "keycloak=%s storage=%s langfuse=%s sandbox=%s" % (
        variables.get("keycloak_mode", "external"), variables.get("dify_storage_type", "pvc"), langfuse,
        "on" if sandbox in (True, "true", "True", "yes", 1) else "off")


def live_namespace(namespace, contract_base, live_base):
    """The contract's namespace ``ai`` (and ``ai-sandbox``) as the live cluster names it."""
    if namespace == contract_base:
        return live_base
    if namespace.startswith(contract_base + "-"):
        return live_base + namespace[len(contract_base):]
    return namespace


def _matches(contract_labels, live_labels):
    return all(live_labels.get(k) == v or (k in PRESENT_LABELS and k in live_labels)
               for k, v in contract_labels.items() if k not in VARYING_LABELS)


def match_workloads(contract_workloads, pods, contract_base, live_base):
    """{workload: [LivePod]}: the live pods of each contract workload (namespace and labels)."""
    found = {}
    for workload, (namespace, labels) in contract_workloads.items():
        wanted = live_namespace(namespace, contract_base, live_base)
        mine = sorted((p for p in pods if p.namespace == wanted and _matches(labels, p.labels)), key=lambda p: p.name)
        if mine:
            found[workload] = mine
    return found


def _target_port(entry_target, pod_ports, service_port):
    if entry_target in (None, ""):
        return service_port
    if isinstance(entry_target, int) or str(entry_target).isdigit():
        return int(entry_target)
    return pod_ports.get(entry_target)


def address_of(target_pods, services, port, pod_ports=None):
    """(address, port to dial, via): the Service in front of ``port`` on these pods, else the first pod's IP."""
    running = [p for p in target_pods if p.running and p.ip]
    if not running:
        return None
    pod_ports = pod_ports or {}
    for service in sorted(services, key=lambda s: s.name):
        if not service.selector or not service.cluster_ip or service.cluster_ip == "None":
            continue
        if service.namespace != running[0].namespace or not _matches(service.selector, running[0].labels):
            continue
        for service_port, target, protocol in service.ports:
            if (protocol or "TCP") == "TCP" and _target_port(target, pod_ports, service_port) == port:
                return service.cluster_ip, service_port, "svc/%s:%d" % (service.name, service_port)
    return running[0].ip, port, "pod/%s" % running[0].name


def sources_for(live, contract_workloads, contract_base, live_base):
    """{workload: Source}: the first running pod of each live workload; a twin for a Job's workload."""
    out = {}
    for workload, pods in live.items():
        running = [p for p in pods if p.running and p.ip]
        if running:
            out[workload] = Source(workload, running[0].namespace, running[0].name)
        elif all(p.owner == "Job" for p in pods):
            namespace, labels = contract_workloads[workload]
            out[workload] = Source(workload, live_namespace(namespace, contract_base, live_base),
                                   labels=tuple(sorted(labels.items())))
    return out


def _rank(*parts):
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


API = "kubernetes-api"


def plan(flows, live, sources, services, dns, pod_ports, undeclared_per_source=4, apiserver=None):
    """(probes, skips) for the declared ``flows`` [(source, target, port)] and a sample of undeclared pairs.

    ``live``: {workload: [LivePod]}; ``sources``: {workload: Source}; ``services``: [LiveService];
    ``dns``: (cluster IP, port) of the cluster DNS; ``pod_ports``: {workload: {port name: number}}.
    ``apiserver``: (cluster IP, port) of the ``kubernetes`` Service, the one address outside the pod
    network every cluster has: each source dials it, and only a source whose flows name the API
    server (the contract's APISERVER_IP, e.g. CloudNativePG's instance manager) may reach it.
    """
    probes, skips = [], []
    declared = set()
    for source, target, port in sorted(set(flows)):
        declared.add((source, target, port))
        if target == APISERVER_IP and apiserver and source in sources:
            continue  # dialled below, once per source
        if source in PEERS:
            skips.append(Skip(source, target, port, "source is %s" % PEERS[source]))
        elif target not in live and target != DNS and not target[:1].isdigit():
            skips.append(Skip(source, target, port, "destination %s has no pod on this cluster (its wave is not converged)" % target))
        elif target[:1].isdigit():
            skips.append(Skip(source, target, port, "destination %s is an address outside the cluster (a documentation address)" % target))
        elif source not in sources:
            skips.append(Skip(source, target, port, "source %s has no pod on this cluster (its wave is not converged)" % source))
        elif target == DNS:
            probes.append(Probe(source, target, port, True, dns[0], dns[1], "svc/kube-dns:%d" % dns[1]))
        else:
            where = address_of(live[target], services, port, pod_ports.get(target))
            if where is None:
                skips.append(Skip(source, target, port, "destination %s has no running pod" % target))
            else:
                probes.append(Probe(source, target, port, True, *where))
    # The undeclared sample aims at ports a destination serves: behind a Service, or named by a
    # probed declared flow (not the ports of skipped flows: a disabled exporter listens nowhere).
    ports = {(p.target, p.port) for p in probes if p.target in live}
    for service in services:
        for workload, pods in live.items():
            running = [p for p in pods if p.running]
            if running and service.namespace == running[0].namespace and service.selector and _matches(service.selector, running[0].labels):
                for service_port, target, protocol in service.ports:
                    number = _target_port(target, pod_ports.get(workload, {}), service_port)
                    if number and (protocol or "TCP") == "TCP":
                        ports.add((workload, number))
    if apiserver:
        # Egress beyond the declared CIDRs: the API server, through its Service as a client dials it.
        for source in sorted(sources):
            allowed = any((source, APISERVER_IP, p) in declared for p in (443, 6443))
            probes.append(Probe(source, API, apiserver[1], allowed, apiserver[0], apiserver[1], "svc/kubernetes:%d" % apiserver[1]))
    for source in sorted(sources):
        candidates = sorted(((t, p) for t, p in ports if t != source and (source, t, p) not in declared),
                            key=lambda tp: _rank(source, *tp))
        for target, port in candidates[:undeclared_per_source]:
            where = address_of(live[target], services, port, pod_ports.get(target))
            if where is not None:
                probes.append(Probe(source, target, port, False, *where))
    return probes, skips


def controls_for(probes, live):
    """{(target, port): (namespace, pod, pod IP)}: where each destination's listener is checked from itself."""
    out = {}
    for probe in probes:
        if probe.target == API and (API, probe.port) not in out:
            # Controlled from a pod in a namespace without NetworkPolicy (live.py makes it).
            out[(API, probe.port)] = ("", "", probe.address)
        if probe.target in live and (probe.target, probe.port) not in out:
            pod = next(p for p in live[probe.target] if p.running and p.ip)
            out[(probe.target, probe.port)] = (pod.namespace, pod.name, pod.ip)
    return out


def classify(text):
    """A probe's answer (socat's exit and message) as open, refused, timeout or error."""
    text = (text or "").strip()
    if text == "open":
        return "open"
    lowered = text.lower()
    if "refused" in lowered:
        return "refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout"
    return "error"


def judge(probe, answer, listener):
    """(verdict, note): PASS, FAIL or INCONCLUSIVE for one probe; ``listener`` is the control's
    answer (None where there is none, e.g. the cluster DNS)."""
    if probe.declared:
        if answer == "open":
            return "PASS", "connected"
        if listener not in (None, "open"):
            return "FAIL", "declared flow not connected (%s), and the destination does not listen on %d either (%s)" % (
                answer, probe.port, listener)
        return "FAIL", "declared flow not connected (%s) though the destination listens: a NetworkPolicy drops it" % answer
    if answer == "open":
        return "FAIL", "undeclared flow connected: no NetworkPolicy denies it"
    if listener == "open":
        return "PASS", "denied (%s) while the destination listens" % answer
    return "INCONCLUSIVE", "not connected (%s), but the destination does not listen either (%s)" % (answer, listener)


def report(rows, skips, seconds):
    """The live matrix as text: one line per probe (verdict first), the skipped flows, a summary."""
    lines = []
    for probe, answer, verdict, note in sorted(rows, key=lambda r: (not r[0].declared, r[0].source, r[0].target, r[0].port)):
        lines.append("%-12s %-10s %s -> %s:%d via %s (%s): %s" % (
            verdict, "declared" if probe.declared else "undeclared", probe.source, probe.target, probe.port,
            probe.via, answer, note))
    for skip in sorted(skips, key=lambda s: (s.source, s.target, s.port)):
        lines.append("%-12s %-10s %s -> %s:%d: %s" % ("SKIP", "declared", skip.source, skip.target, skip.port, skip.reason))
    counts = {}
    for _probe, _answer, verdict, _note in rows:
        counts[verdict] = counts.get(verdict, 0) + 1
    declared = sum(1 for r in rows if r[0].declared)
    lines.append("live connectivity: %d probes (%d declared, %d undeclared), %d skipped; PASS %d, FAIL %d, INCONCLUSIVE %d; %.1f s" % (
        len(rows), declared, len(rows) - declared, len(skips), counts.get("PASS", 0), counts.get("FAIL", 0),
        counts.get("INCONCLUSIVE", 0), seconds))
    return "\n".join(lines)
