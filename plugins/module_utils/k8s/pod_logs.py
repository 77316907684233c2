# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pods behind a gate that is not ready: each troubled container's state and its own last log lines.

A wave that fails on a real cluster must say why in the program's own words (a write to a
read-only path, a refused connection, an unknown setting), not only "readyReplicas 0 of 1".
The log of a container that restarted is read from its previous instance, the one that
crashed (``previous=true``), as ``kubectl logs --previous`` does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import quote

LOG_LINES = 5
PODS_PER_GATE = 2
LINE_WIDTH = 300
# Workloads whose pods their spec.selector picks.
SELECTED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def pod_selector(obj):
    """The label selector (``k=v,...``) of a workload's pods, or None for other kinds."""
    if obj.get("kind") not in SELECTED_KINDS:
        return None
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join("%s=%s" % (k, labels[k]) for k in sorted(labels)) or None


def _state(status):
    state = status.get("state") or {}
    if "waiting" in state:
        words = ["waiting: %s" % (state["waiting"].get("reason") or "?")]
    elif "terminated" in state:
        ended = state["terminated"]
        words = ["terminated: %s, exit code %s" % (ended.get("reason") or "?", ended.get("exitCode"))]
    else:
        words = ["running" + ("" if status.get("ready") else ", not ready")]
    last = (status.get("lastState") or {}).get("terminated")
    if last:
        words.append("last exit: %s, exit code %s" % (last.get("reason") or "?", last.get("exitCode")))
    if status.get("restartCount"):
        words.append("restarts %s" % status["restartCount"])
    return ", ".join(words)


def troubled_containers(pod):
    """[(container, state text, read the previous instance)] of the containers that are not fine."""
    status = pod.get("status") or {}
    found = []
    for entry in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        state = entry.get("state") or {}
        finished_well = (state.get("terminated") or {}).get("exitCode") == 0
        if entry.get("ready") and not entry.get("restartCount"):
            continue
        if finished_well and not entry.get("restartCount"):
            continue  # an init container that did its job
        # Waiting to start again (CrashLoopBackOff): the instance that crashed is the previous one.
        previous = "waiting" in state and bool((entry.get("lastState") or {}).get("terminated"))
        found.append((entry.get("name"), _state(entry), previous))
    return found


def last_lines(text, lines=LOG_LINES, width=LINE_WIDTH):
    kept = [line[:width] for line in (text or "").splitlines() if line.strip()]
    return kept[-lines:]


def _log(client, namespace, pod, container, previous, lines):
    path = "/api/v1/namespaces/%s/pods/%s/log" % (quote(namespace, safe=""), quote(pod, safe=""))
    for from_previous in ((True, False) if previous else (False,)):
        query = {"container": container, "tailLines": str(lines)}
        if from_previous:
            query["previous"] = "true"
        response = client.request("GET", path, query=query, expect=(400, 404))
        if response.status < 400:
            return last_lines(response.text(), lines)
    return []


def describe_pod(client, pod, lines=LOG_LINES):
    """One line per troubled container of a pod: its state, then its own last log lines."""
    metadata = pod.get("metadata") or {}
    out = []
    for container, state, previous in troubled_containers(pod):
        logged = _log(client, metadata.get("namespace"), metadata.get("name"), container, previous, lines)
        said = (" | ".join(logged)) if logged else "(no log)"
        out.append("Pod %s container %s: %s; its last log lines%s: %s" % (
            metadata.get("name"), container, state, " (previous instance)" if previous else "", said))
    return out


def gate_pods_detail(client, obj, lines=LOG_LINES, limit=PODS_PER_GATE):
    """What the pods of a blocked workload say: at most ``limit`` troubled pods, newest first."""
    selector = pod_selector(obj)
    namespace = (obj.get("metadata") or {}).get("namespace")
    if not selector or not namespace:
        return []
    listed = client.get_json("/api/v1/namespaces/%s/pods" % quote(namespace, safe=""), query={"labelSelector": selector}) or {}
    pods = sorted(listed.get("items") or [], key=lambda p: (p.get("metadata") or {}).get("creationTimestamp") or "", reverse=True)
    out = []
    for pod in [p for p in pods if troubled_containers(p)][:limit]:
        out.extend(describe_pod(client, pod, lines))
        out.extend(stuck_revision(obj, pod))
    return out


def stuck_revision(obj, pod):
    """The advice for a StatefulSet pod of an older revision that never became ready.

    A StatefulSet does not replace such a pod when a fixed template is applied: "After reverting
    the template, you must also delete any Pods that StatefulSet had already attempted to run with
    the bad configuration" (kubernetes.io, StatefulSet, Forced rollback). Seen on kind: a fixed
    redis stayed in CrashLoopBackOff on the broken revision until its pod was deleted.
    """
    update = (obj.get("status") or {}).get("updateRevision")
    metadata = pod.get("metadata") or {}
    revision = (metadata.get("labels") or {}).get("controller-revision-hash")
    if obj.get("kind") != "StatefulSet" or not update or not revision or revision == update:
        return []
    return ["Pod %s runs revision %s, not the update %s, and a StatefulSet never replaces a pod that is not ready: "
            "once the cause is fixed, delete it (`kubectl -n %s delete pod %s`) and run the playbook again."
            % (metadata.get("name"), revision, update, metadata.get("namespace"), metadata.get("name"))]
