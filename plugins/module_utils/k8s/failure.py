# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The message of a wave that did not become ready: each blocking object, its status, its newest events."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import has_failed, is_ready, not_ready_reasons, summary

EVENTS_PER_OBJECT = 5


def object_ref(obj):
    """``Kind namespace/name``, or ``Kind name`` for a cluster-scoped object."""
    metadata = obj.get("metadata") or {}
    if metadata.get("namespace"):
        return "%s %s/%s" % (obj.get("kind"), metadata["namespace"], metadata.get("name"))
    return "%s %s" % (obj.get("kind"), metadata.get("name"))


def _event_time(event):
    return event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get("creationTimestamp") or ""


def events_for(obj, events, limit=EVENTS_PER_OBJECT):
    """The newest events of an object and of what it owns (its pods share its name as a prefix)."""
    name = (obj.get("metadata") or {}).get("name", "")
    namespace = (obj.get("metadata") or {}).get("namespace")
    related = [
        e for e in events
        if (e.get("involvedObject") or {}).get("name", "").startswith(name)
        and (namespace is None or (e.get("involvedObject") or {}).get("namespace") == namespace)
    ]
    related.sort(key=_event_time)
    return related[-limit:]


def _describe_event(event):
    involved = event.get("involvedObject") or {}
    return "%s %s %s: %s" % (
        involved.get("kind", "?"), involved.get("name", "?"), event.get("reason", ""), (event.get("message") or "").strip())


def failed_job_advice(job, rerun=False):
    """What to do about a failed Job: the exact commands, and what the next run does with it."""
    metadata = job.get("metadata") or {}
    where = "-n %s " % metadata["namespace"] if metadata.get("namespace") else ""
    again = " It had failed before, and this run already ran it once more." if rerun else ""
    return ("%s failed.%s Nothing after its step was applied, so what ran before keeps running. "
            "Read its logs with `kubectl %slogs job/%s --all-containers`, fix the cause, then run the playbook "
            "again: apply_wave deletes a Job it finds failed and runs it once more, once per run, unless "
            "rerun_failed_jobs is false (then delete it yourself: `kubectl %sdelete job %s`)."
            % (object_ref(job), again, where, metadata.get("name"), where, metadata.get("name")))


def not_ready_message(wave, component, timeout, gates, events, failed=False, rerun=(), pods=None):
    """Name every gate that is not ready, with its status and newest events; say what to do about a failed Job.

    ``rerun`` holds the refs of the Jobs this run already ran once more; ``pods`` maps a gate's
    ref to what its pods say (pod_logs.gate_pods_detail: container states and last log lines).
    """
    blocked = [g for g in gates if not is_ready(g)]
    outcome = "failed" if failed else "did not become ready within %ss" % timeout
    parts = ["Wave %s (%s) %s." % (wave, component, outcome)]
    for obj in blocked:
        recent = events_for(obj, events)
        described = "; ".join(_describe_event(e) for e in recent) if recent else "no events"
        reasons = ", ".join(not_ready_reasons(obj))
        parts.append("Blocked by %s (status: %s)%s. Recent events: %s." % (
            object_ref(obj), summary(obj), ", not ready: " + reasons if reasons else "", described))
        said = (pods or {}).get(object_ref(obj))
        if said:
            parts.append("Its pods say: " + " ".join(line if line.endswith(".") else line + "." for line in said))
        if has_failed(obj):
            parts.append(failed_job_advice(obj, object_ref(obj) in rerun))
    return " ".join(parts)
