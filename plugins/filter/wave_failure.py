# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that explain a wave that did not become ready."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: wave_failure
short_description: Explain why a wave did not become ready
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Turns the failed result of a wave's apply or wait task, the live state of the wave's gating
    objects and the events of their namespaces into one message that names every object that
    is not ready and its most recent events.
options:
  _input:
    description: The failed task result (C(ansible_failed_result)).
    type: dict
    required: true
  wave:
    description: The wave number.
    type: int
    required: true
  component:
    description: The component of the wave.
    type: str
    required: true
  timeout:
    description: Seconds the wave was given.
    type: int
    required: true
  gates:
    description: The live state of the wave's gating objects (Deployments, StatefulSets, Jobs, Clusters, Keycloaks).
    type: list
    elements: dict
    default: []
  events:
    description: Events of the namespaces involved (Kubernetes Event objects).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Fail with the blocking objects and their events
  ansible.builtin.fail:
    msg: "{{ ansible_failed_result | airgap.dify_platform.wave_failure(wave=1, component='postgres', timeout=600, gates=gates, events=events) }}"
"""

RETURN = r"""
_value:
  description: A one-paragraph message.
  type: str
"""

from ansible_collections.airgap.dify_platform.plugins.filter.object_ref import object_ref

EVENTS_PER_OBJECT = 5


def _event_time(event):
    return event.get("lastTimestamp") or event.get("eventTime") or event.get("metadata", {}).get("creationTimestamp") or ""


def events_for(obj, events, limit=EVENTS_PER_OBJECT):
    """The newest events of an object and of what it owns (its pods share its name as a prefix)."""
    name = obj.get("metadata", {}).get("name", "")
    namespace = obj.get("metadata", {}).get("namespace")
    related = [
        e for e in events
        if e.get("involvedObject", {}).get("name", "").startswith(name)
        and (namespace is None or e.get("involvedObject", {}).get("namespace") == namespace)
    ]
    related.sort(key=_event_time)
    return related[-limit:]


def _describe_event(event):
    involved = event.get("involvedObject", {})
    return "%s %s %s: %s" % (
        involved.get("kind", "?"), involved.get("name", "?"), event.get("reason", ""), (event.get("message") or "").strip())


def _condition_true(obj, condition_type):
    return any(c.get("type") == condition_type and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions", []) or [])


def is_ready(obj):
    """Whether a gating object is ready, judged the way the wave waited for it."""
    kind = obj.get("kind")
    spec, status = obj.get("spec", {}), obj.get("status", {}) or {}
    if kind == "Deployment":
        wanted = spec.get("replicas", 1)
        return status.get("updatedReplicas", 0) == wanted and status.get("availableReplicas", 0) == wanted
    if kind == "StatefulSet":
        return status.get("readyReplicas", 0) == spec.get("replicas", 1)
    if kind == "Job":
        return _condition_true(obj, "Complete")
    if kind in ("Cluster", "Keycloak"):
        return _condition_true(obj, "Ready")
    return True


def wave_failure(failed_result, wave, component, timeout, gates=None, events=None):
    events = events or []
    blocked = [g for g in gates or [] if not is_ready(g)]
    if not blocked:
        return "Wave %s (%s) failed while applying its objects: %s" % (
            wave, component, failed_result.get("msg", "no message"))
    parts = ["Wave %s (%s) did not become ready within %ss." % (wave, component, timeout)]
    for obj in blocked:
        recent = events_for(obj, events)
        described = "; ".join(_describe_event(e) for e in recent) if recent else "no events"
        parts.append("Blocked by %s (status: %s). Recent events: %s." % (
            object_ref(obj), _summary(obj), described))
    return " ".join(parts)


def _summary(obj):
    status = obj.get("status", {}) or {}
    conditions = ", ".join("%s=%s" % (c.get("type"), c.get("status")) for c in status.get("conditions", []) or [])
    replicas = ["%s=%s" % (k, status[k]) for k in ("replicas", "readyReplicas", "availableReplicas") if k in status]
    return "; ".join(x for x in (", ".join(replicas), conditions, status.get("phase", "")) if x) or "none"


class FilterModule:
    def filters(self):
        return {"wave_failure": wave_failure}
