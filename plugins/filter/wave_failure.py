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
  - Turns the failed result of a wave's apply or wait task into one message that
    names every object that blocked the wave and its most recent events.
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
  events:
    description: Events of the namespaces involved (Kubernetes Event objects).
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Fail with the blocking objects and their events
  ansible.builtin.fail:
    msg: "{{ ansible_failed_result | airgap.dify_platform.wave_failure(wave=1, component='postgres', timeout=600, events=events) }}"
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


def wave_failure(failed_result, wave, component, timeout, events=None):
    events = events or []
    blocked = [item["__dify_platform_gate"] for item in failed_result.get("results", [])
               if item.get("failed") and "__dify_platform_gate" in item]
    if not blocked:
        return "Wave %s (%s) failed while applying its objects: %s" % (
            wave, component, failed_result.get("msg", "no message"))
    parts = ["Wave %s (%s) did not become ready within %ss." % (wave, component, timeout)]
    for obj in blocked:
        recent = events_for(obj, events)
        described = "; ".join(_describe_event(e) for e in recent) if recent else "no events"
        parts.append("Blocked by %s. Recent events: %s." % (object_ref(obj), described))
    return " ".join(parts)


class FilterModule:
    def filters(self):
        return {"wave_failure": wave_failure}
