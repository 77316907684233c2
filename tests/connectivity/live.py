"""Replay the contract's derived flows from real pods on a cluster where NetworkPolicy is enforced.

    python tests/connectivity/live.py --namespace dify-platform --image <probe image> \\
        --combination "keycloak=external storage=pvc langfuse=off sandbox=on" [--output FILE]

Each probe starts in the network namespace of a pod of the source workload, so the
NetworkPolicies see the source's own labels and namespace: an ephemeral container
(``kubectl debug --profile=restricted``, the probe image, UID 65534, no capability) is
added to one running pod per workload; nothing is adopted by a ReplicaSet and the
workload's own containers are untouched. A Job's pods have finished, so a twin stands in:
a bare pod with the Job template's labels in its namespace (no Job selects it: Jobs select
by their controller uid). Each pod then runs all of its probes in one ``kubectl exec``,
in parallel, with socat's connect timeout. What is dialled, and how the answers are judged,
is live_plan.py. Exits 1 when a probe fails, naming the flow.

kubectl comes from PATH and the cluster from KUBECONFIG.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Importing it links the collection where the contract's render finds it.
import conftest  # noqa: F401  # pylint: disable=unused-import
from connectivity import live_plan
from connectivity.render import NAMESPACE as CONTRACT_NAMESPACE

KUBECTL = os.environ.get("KUBECTL", "kubectl")
# The probe's own restrictions, on top of kubectl debug's "restricted" profile (runAsNonRoot,
# no privilege escalation, no capability, RuntimeDefault seccomp): the probe image runs as
# root by default, so it gets a UID of its own, and a read-only root.
PROBE_SECURITY = {"securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "readOnlyRootFilesystem": True,
                                      "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                      "seccompProfile": {"type": "RuntimeDefault"}}}
TWIN_LABEL = "airgap.dify-platform/live-probe"
# Seconds a probe container lives: it ends by itself (an ephemeral container cannot be removed).
PROBE_LIFETIME = 300


def kubectl(*args, stdin=None, timeout=120, check=True):
    proc = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError("kubectl %s: %s" % (" ".join(args[:4]), proc.stderr.strip()[-800:]))
    return proc


def read_cluster(namespaces):
    """([LivePod], [LiveService], {pod name: {port name: number}}, (dns ip, port))."""
    pods, services, ports = [], [], {}
    for namespace in namespaces:
        listed = json.loads(kubectl("get", "pods,services", "-n", namespace, "-o", "json").stdout)["items"]
        for item in listed:
            meta = item["metadata"]
            if item["kind"] == "Pod":
                if meta.get("labels", {}).get(TWIN_LABEL):
                    continue
                status = item.get("status", {})
                ready = all(c.get("ready") for c in status.get("containerStatuses", []))
                owner = (meta.get("ownerReferences") or [{}])[0].get("kind", "")
                pods.append(live_plan.LivePod(meta["name"], namespace, meta.get("labels", {}), status.get("podIP", ""),
                                              status.get("phase") == "Running" and ready and not meta.get("deletionTimestamp"), owner))
                ports[meta["name"]] = {p["name"]: p["containerPort"] for c in item["spec"]["containers"]
                                       for p in c.get("ports", []) if p.get("name")}
            else:
                spec = item["spec"]
                services.append(live_plan.LiveService(meta["name"], namespace, spec.get("selector") or {}, spec.get("clusterIP", ""),
                                                      tuple((p["port"], p.get("targetPort"), p.get("protocol", "TCP"))
                                                            for p in spec.get("ports", []))))
    dns = json.loads(kubectl("get", "service", "-n", "kube-system", "kube-dns", "-o", "json").stdout)
    dns_port = next(p["port"] for p in dns["spec"]["ports"] if p.get("protocol") == "TCP")
    api = json.loads(kubectl("get", "service", "-n", "default", "kubernetes", "-o", "json").stdout)["spec"]
    return pods, services, ports, (dns["spec"]["clusterIP"], dns_port), (api["clusterIP"], api["ports"][0]["port"])


def _wait(predicate, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise RuntimeError("timed out after %d s waiting for %s" % (timeout, what))


def attach(namespace, pod, image, name, custom):
    """An ephemeral probe container in ``pod``, running; returns its name."""
    kubectl("debug", "-n", namespace, "pod/" + pod, "--image", image, "--image-pull-policy", "IfNotPresent",
            "--container", name, "--profile", "restricted", "--custom", custom, "--attach=false", "--quiet",
            "--", "sleep", str(PROBE_LIFETIME))

    def running():
        item = json.loads(kubectl("get", "pod", "-n", namespace, pod, "-o", "json").stdout)
        for status in item.get("status", {}).get("ephemeralContainerStatuses", []):
            if status["name"] == name:
                if "terminated" in status.get("state", {}):
                    raise RuntimeError("probe container %s/%s ended: %s" % (pod, name, status["state"]["terminated"]))
                return "running" in status.get("state", {})
        return False
    _wait(running, "the probe container in %s/%s" % (namespace, pod))
    return name


def twin(source, image, run):
    """A bare pod with the source workload's labels, for a Job whose pods have finished."""
    name = "probe-%s-%s" % (source.workload[:40], run)
    manifest = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": source.namespace, "labels": dict(source.labels, **{TWIN_LABEL: run})},
                "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0, "automountServiceAccountToken": False,
                         "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                         "containers": [dict(PROBE_SECURITY, name="probe", image=image, imagePullPolicy="IfNotPresent",
                                             command=["sleep", str(PROBE_LIFETIME)])]}}
    kubectl("apply", "-f", "-", stdin=json.dumps(manifest))
    kubectl("wait", "-n", source.namespace, "--for=condition=Ready", "pod/" + name, "--timeout=120s", timeout=150)
    return name


def script(targets, timeout):
    """One shell run: every (id, address, port) dialled at once; prints '<id> <answer>' per line."""
    lines = ["set +e"]
    for ident, address, port in targets:
        lines.append("( out=$(socat -u OPEN:/dev/null TCP:%s:%d,connect-timeout=%s 2>&1) && echo '%s open' "
                     "|| echo \"%s $(echo \"$out\" | tail -n1)\" ) &" % (address, port, timeout, ident, ident))
    lines.append("wait")
    return "\n".join(lines)


def run_in(namespace, pod, container, targets, timeout):
    """{id: answer} for the targets, dialled from the pod's network namespace."""
    if not targets:
        return {}
    proc = kubectl("exec", "-n", namespace, pod, "-c", container, "--", "sh", "-c", script(targets, timeout),
                   timeout=60 + 5 * timeout, check=False)
    answers = {}
    for line in proc.stdout.splitlines():
        ident, _space, text = line.partition(" ")
        answers[ident] = live_plan.classify(text)
    for ident, _address, _port in targets:
        answers.setdefault(ident, "error: no answer (%s)" % proc.stderr.strip()[-200:])
    return answers


def probe_image(prefix="localhost/airgap-kind/netprobe:"):
    """The probe image every node holds (hack/kind bakes it into the node image), from the nodes' status."""
    nodes = json.loads(kubectl("get", "nodes", "-o", "json").stdout)["items"]
    held = [{n for image in node["status"].get("images", []) for n in image.get("names", []) if n.startswith(prefix)}
            for node in nodes]
    common = sorted(set.intersection(*held)) if held else []
    if not common:
        raise SystemExit("no image %s* on every node (hack/kind/images.sh bakes it into the node image)" % prefix)
    return common[-1]


def contract_flows(combination):
    from connectivity.flows import derived_flows, workloads
    from connectivity.render import combinations

    chosen = [c for c in combinations() if c.name == combination]
    if not chosen:
        raise SystemExit("no contract combination named %r" % combination)
    return derived_flows(chosen)[combination], workloads(chosen)[combination]


def probe(args):
    start = time.monotonic()
    run = uuid.uuid4().hex[:6]
    if args.variables:
        args.combination = live_plan.combination_for(json.loads(args.variables))
    if args.image == "auto":
        args.image = probe_image()
    flows, contract_workloads = contract_flows(args.combination)
    rendered = time.monotonic() - start
    namespaces = [args.namespace, args.namespace + "-sandbox"]
    pods, services, pod_ports, dns, apiserver = read_cluster(namespaces)
    live = live_plan.match_workloads(contract_workloads, pods, CONTRACT_NAMESPACE, args.namespace)
    workload_ports = {w: pod_ports.get(next((p.name for p in ps if p.running), ps[0].name), {}) for w, ps in live.items()}
    sources = live_plan.sources_for(live, contract_workloads, CONTRACT_NAMESPACE, args.namespace)
    probes, skips = live_plan.plan(flows, live, sources, services, dns, workload_ports, args.undeclared_per_source, apiserver)
    controls = live_plan.controls_for(probes, live)
    # A destination outside the pod network is controlled from a pod in a namespace of its own,
    # without NetworkPolicy; a destination pod, from itself.
    control_namespace = "airgap-live-probe-" + run
    outside = live_plan.Source("control", control_namespace)
    control_keys = {target: (ns, pod, None) if ns else (control_namespace, "", outside) for target, (ns, pod, _ip) in controls.items()}

    # Where each probe runs: (namespace, pod, container) per source workload and per control pod.
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(PROBE_SECURITY, handle)
        custom = handle.name
    container = "probe-" + run
    twins = []
    shells = {}
    try:
        def prepare(key):
            namespace, pod, source = key
            if source is not None and not source.pod:
                name = twin(source, args.image, run)
                twins.append((source.namespace, name))
                return key, (source.namespace, name, "probe")
            return key, (namespace, pod, attach(namespace, pod, args.image, container, custom))
        wanted = {(s.namespace, s.pod, None if s.pod else s) for s in sources.values()
                  if any(p.source == s.workload for p in probes)}
        wanted |= set(control_keys.values())
        if outside in {key[2] for key in wanted}:
            kubectl("create", "namespace", control_namespace)
            kubectl("label", "namespace", control_namespace, "pod-security.kubernetes.io/enforce=restricted", TWIN_LABEL + "=" + run)
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            shells = dict(pool.map(prepare, sorted(wanted, key=lambda k: (k[0], k[1]))))
        attached = time.monotonic() - start

        jobs = {}
        for index, item in enumerate(probes):
            source = sources[item.source]
            key = (source.namespace, source.pod, None if source.pod else source)
            jobs.setdefault(shells[key], []).append(("p%d" % index, item.address, item.dial_port))
        for index, ((target, port), (_namespace, _pod, ip)) in enumerate(sorted(controls.items())):
            jobs.setdefault(shells[control_keys[(target, port)]], []).append(("c%d:%s:%d" % (index, target, port), ip, port))
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            results = list(pool.map(lambda item: run_in(*item[0], item[1], args.timeout), jobs.items()))
        answers = {k: v for result in results for k, v in result.items()}
    finally:
        os.unlink(custom)
        for namespace, name in twins:
            if not args.keep:
                kubectl("delete", "pod", "-n", namespace, name, "--wait=false", check=False)
        if not args.keep:
            kubectl("delete", "namespace", control_namespace, "--ignore-not-found", "--wait=false", check=False)
    listener = {}
    for ident, answer in answers.items():
        if ident.startswith("c"):
            _index, target, port = ident.split(":")
            listener[(target, int(port))] = answer
    rows = []
    for index, item in enumerate(probes):
        answer = answers["p%d" % index]
        verdict, note = live_plan.judge(item, answer, listener.get((item.target, item.port)))
        rows.append((item, answer, verdict, note))
    seconds = time.monotonic() - start
    text = live_plan.report(rows, skips, seconds)
    text += "\n(contract rendered in %.1f s; %d probe containers ready at %.1f s; combination %s; namespace %s)" % (
        rendered, len(shells), attached, args.combination, args.namespace)
    print(text)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text + "\n")
    failed = [r for r in rows if r[2] == "FAIL"]
    if failed:
        for item, answer, _verdict, note in failed:
            kind = "declared" if item.declared else "undeclared"
            print("FAIL %s flow %s -> %s:%d (%s, %s): %s" % (kind, item.source, item.target, item.port, item.via, answer, note),
                  file=sys.stderr)
        return 1
    if not any(r[0].declared for r in rows):
        print("FAIL: no declared flow could be probed (no platform pod runs?)", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", required=True, help="the platform namespace (dify_platform_namespace)")
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument("--combination", help="the contract combination, e.g. 'keycloak=external storage=pvc langfuse=off sandbox=on'")
    choice.add_argument("--variables", help="the inventory's variables as JSON, which choose the combination (live_plan.combination_for)")
    parser.add_argument("--image", default="auto", help="the probe image (socat, sh) on every node; auto: the netprobe image of hack/kind")
    parser.add_argument("--undeclared-per-source", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=3, help="connect timeout of each probe, seconds")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--output", help="also write the matrix to this file")
    parser.add_argument("--keep", action="store_true", help="keep the twin pods")
    return probe(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
