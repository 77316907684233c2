"""Ask cyclonus, a published NetworkPolicy engine, whether each connection is allowed.

cyclonus (github.com/mattfenwick/cyclonus, built by hack/tools/cyclonus.sh) reads the
policies from files and a list of traffic items, and answers for each with its own
evaluation of the NetworkPolicy semantics (``analyze --mode query-traffic``). Nothing here
evaluates a policy: this module writes cyclonus' inputs and reads its verdicts.
"""

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpers.paths import CACHE, REPO

BUILD_SCRIPT = REPO / "hack" / "tools" / "cyclonus.sh"
VERDICT = re.compile(r"^\|\s*IS ALLOWED\?\s*\|\s*(TRUE|FALSE)\s*\|", re.MULTILINE)
SIDE = re.compile(r"^\|\s*(Ingress|Egress)\s*\|\s*(Allow|Deny)\s*\|", re.MULTILINE)


def binary():
    """The cyclonus binary, built (or found up to date) by hack/tools/cyclonus.sh."""
    env = dict(os.environ, AIRGAP_CACHE=str(CACHE))
    out = subprocess.run([str(BUILD_SCRIPT)], env=env, capture_output=True, text=True, check=False, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError("hack/tools/cyclonus.sh failed:\n" + out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


def version(path):
    out = subprocess.run([path, "version"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout[out.stdout.index("{"):])["Version"]


@dataclass(frozen=True)
class Endpoint:
    """One side of a traffic item: a pod (namespace, labels) or an address outside the cluster."""

    ip: str
    namespace: str = None
    labels: tuple = ()
    namespace_labels: tuple = ()

    def as_cyclonus(self):
        side = {"IP": self.ip}
        if self.namespace is not None:
            side["Internal"] = {"PodLabels": dict(self.labels), "NamespaceLabels": dict(self.namespace_labels),
                                "Namespace": self.namespace}
        return side


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    ingress: str  # Allow, Deny, or '' when no policy side applies (outside the cluster)
    egress: str


# cyclonus v0.5.6 compares ``labels[key] != value`` (pkg/kube/labelselector.go,
# IsLabelsMatchLabelSelector), so a matchLabels entry with an empty value, such as
# OpenShift's ``policy-group.network.openshift.io/ingress: ""``, also matches a namespace
# or pod WITHOUT that label, where Kubernetes requires the label to be present. The
# traffic description therefore gives every endpoint that lacks such a key this value,
# which no selector asks for: the verdicts are then Kubernetes' own.
ABSENT = "absent-label"


def _empty_value_keys(node, keys):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "matchLabels" and isinstance(value, dict):
                keys.update(k for k, v in value.items() if v == "")
            else:
                _empty_value_keys(value, keys)
    elif isinstance(node, list):
        for item in node:
            _empty_value_keys(item, keys)
    return keys


def _fill_absent(side, keys):
    internal = side.get("Internal")
    if internal:
        for field in ("PodLabels", "NamespaceLabels"):
            for key in keys:
                internal[field].setdefault(key, ABSENT)
    return side


def query(cyclonus, policies, traffic):
    """[Verdict] of each (source Endpoint, destination Endpoint, port) in ``traffic``, in order."""
    keys = _empty_value_keys(policies, set())
    items = [{"Source": _fill_absent(s.as_cyclonus(), keys), "Destination": _fill_absent(d.as_cyclonus(), keys),
              "Protocol": "TCP", "ResolvedPort": port}
             for s, d, port in traffic]
    with tempfile.TemporaryDirectory() as tmp:
        # One NetworkPolicyList: cyclonus reads one object per file.
        policy_dir = Path(tmp) / "policies"
        policy_dir.mkdir()
        (policy_dir / "policies.json").write_text(json.dumps(
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": policies}))
        traffic_path = Path(tmp) / "traffic.json"
        traffic_path.write_text(json.dumps(items))
        out = subprocess.run([cyclonus, "analyze", "--mode", "query-traffic", "--policy-path", str(policy_dir),
                              "--traffic-path", str(traffic_path)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError("cyclonus failed:\n" + out.stderr[-3000:])
    blocks = out.stdout.split("Traffic:\n")[1:]
    if len(blocks) != len(items):
        raise RuntimeError("cyclonus answered %d of %d traffic items" % (len(blocks), len(items)))
    verdicts = []
    for block in blocks:
        allowed = VERDICT.search(block)
        sides = dict(SIDE.findall(block))
        verdicts.append(Verdict(allowed.group(1) == "TRUE", sides.get("Ingress", ""), sides.get("Egress", "")))
    return verdicts
