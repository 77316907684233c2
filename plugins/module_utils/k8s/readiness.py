# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a wave's gating objects count as ready, and why they do not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Kinds a wave waits for; every other kind is ready once applied.
GATE_KINDS = ("Deployment", "StatefulSet", "Job", "Cluster", "Keycloak")
# Kinds ready when this condition is True.
CONDITION_GATES = {"Job": "Complete", "Cluster": "Ready", "Keycloak": "Ready"}


def condition_status(obj, condition_type):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return condition.get("status")
    return None


def _observed(obj):
    status = obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation")
    return generation is None or status.get("observedGeneration", 0) >= generation


def is_ready(obj):
    """Whether a gating object is ready: rolled out, complete, or its Ready condition True."""
    kind = obj.get("kind")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "Deployment":
        wanted = spec.get("replicas", 1)
        return (_observed(obj) and status.get("updatedReplicas", 0) == wanted
                and status.get("availableReplicas", 0) == wanted and status.get("replicas", 0) == wanted)
    if kind == "StatefulSet":
        wanted = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", wanted) if status.get("updateRevision") else wanted
        return _observed(obj) and status.get("readyReplicas", 0) == wanted and updated == wanted
    if kind in CONDITION_GATES:
        return condition_status(obj, CONDITION_GATES[kind]) == "True"
    return True


def has_failed(obj):
    """A gate that will never become ready by waiting: a Job that failed."""
    return obj.get("kind") == "Job" and condition_status(obj, "Failed") == "True"


def summary(obj):
    """Replica counts, conditions and phase of an object, in one line."""
    status = obj.get("status") or {}
    conditions = ", ".join("%s=%s" % (c.get("type"), c.get("status")) for c in status.get("conditions") or [])
    replicas = ["%s=%s" % (k, status[k]) for k in ("replicas", "readyReplicas", "availableReplicas") if k in status]
    return "; ".join(x for x in (", ".join(replicas), conditions, status.get("phase", "")) if x) or "none"
