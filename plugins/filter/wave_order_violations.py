# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wave_order_violations
short_description: Find objects created before the previous wave was ready
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Takes the live objects of the platform (each with its wave in the annotation C(argocd.argoproj.io/sync-wave)) and returns one line
    for every wave whose first object was created before the previous wave was ready.
  - A wave is ready at the latest readiness time of its gating objects (C(Available) of a Deployment,
    C(Complete) of a Job, C(Ready) of a CNPG Cluster or a Keycloak, the pods' C(Ready) for a StatefulSet),
    or, for a wave without gates, when its last object was created.
options:
  _input:
    description: The objects (Kubernetes resources as returned by C(k8s_info)), pods included.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Each wave was created only after the previous one was ready
  ansible.builtin.assert:
    that: objects | airgap.dify_platform.wave_order_violations | length == 0
"""

RETURN = r"""
_value:
  description: One message per violation; empty when every wave waited for the previous one.
  type: list
  elements: str
"""

WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
READY_CONDITION = {"Deployment": "Available", "Job": "Complete", "Cluster": "Ready", "Keycloak": "Ready"}


def _second(timestamp):
    """RFC 3339 to whole seconds (creationTimestamp has no fraction; kwok's and controllers' times may)."""
    return timestamp[:19] if timestamp else timestamp


def _condition_time(obj, condition_type):
    for condition in obj.get("status", {}).get("conditions", []) or []:
        if condition.get("type") == condition_type and condition.get("status") == "True":
            return _second(condition.get("lastTransitionTime"))
    return None


def _statefulset_ready_time(statefulset, pods):
    selector = statefulset.get("spec", {}).get("selector", {}).get("matchLabels", {})
    times = []
    for pod in pods:
        labels = pod.get("metadata", {}).get("labels", {})
        if pod["metadata"].get("namespace") == statefulset["metadata"].get("namespace") and \
                all(labels.get(k) == v for k, v in selector.items()):
            times.append(_condition_time(pod, "Ready"))
    return max(times) if times and None not in times else None


def ready_time(obj, pods):
    """When a gating object became ready (RFC 3339, UTC), None if it is not; '' if it does not gate."""
    kind = obj.get("kind")
    if kind in READY_CONDITION:
        return _condition_time(obj, READY_CONDITION[kind])
    if kind == "StatefulSet":
        return _statefulset_ready_time(obj, pods)
    return ""


def wave_order_violations(objects):
    pods = [o for o in objects if o.get("kind") == "Pod"]
    waves = {}
    for obj in objects:
        wave = (obj.get("metadata", {}).get("annotations") or {}).get(WAVE_ANNOTATION)
        if wave is not None:
            waves.setdefault(int(wave), []).append(obj)
    violations = []
    order = sorted(waves)
    for previous, current in zip(order, order[1:]):
        gates = [(o, ready_time(o, pods)) for o in waves[previous] if o.get("kind") != "Pod"]
        gated = [(o, t) for o, t in gates if t != ""]
        not_ready = [o for o, t in gated if t is None]
        if not_ready:
            violations.append("wave %s is not ready: %s" % (previous, ", ".join(
                "%s %s" % (o["kind"], o["metadata"]["name"]) for o in not_ready)))
            continue
        # A wave without gates is ready once its last object exists.
        if gated:
            previous_ready = max(ready for obj, ready in gated)
        else:
            previous_ready = max(_second(obj["metadata"]["creationTimestamp"]) for obj, ready in gates)
        first = min(waves[current], key=lambda o: o["metadata"]["creationTimestamp"])
        if _second(first["metadata"]["creationTimestamp"]) < previous_ready:
            violations.append("wave %s: %s %s was created at %s, before wave %s was ready at %s" % (
                current, first["kind"], first["metadata"]["name"], first["metadata"]["creationTimestamp"],
                previous, previous_ready))
    return violations


class FilterModule:
    def filters(self):
        return {"wave_order_violations": wave_order_violations}
