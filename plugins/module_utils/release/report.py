# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record exactly what a run did and did not copy: each image's status, the summary,
the report, and the message of a failed run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import inventory as inv


def summary(items, started):
    counts = {"copied": 0, "present": 0, "failed": 0, "not_attempted": 0, "would_copy": 0}
    for item in items:
        counts[item.status if item.status in counts else "not_attempted"] += 1
    return {
        "images": len(items),
        "copied": counts["copied"],
        "present": counts["present"],
        "failed": counts["failed"],
        "not_attempted": counts["not_attempted"],
        "would_copy": counts["would_copy"],
        "bytes_transferred": sum(i.bytes for i in items),
        "bytes_total": sum((i.closure.size if i.closure else 0) for i in items),
        "seconds": round(time.time() - started, 2),
    }


def report_of(settings, items, started, release, extra=None):
    report = {
        "kind": inv.REPORT_KIND,
        "mode": settings.mode,
        "release": release,
        "finished": inv.now(),
        "registry": settings.registry,
        "check_mode": settings.check_mode,
        "images": [item.record() for item in items],
        "summary": summary(items, started),
    }
    report.update(extra or {})
    report["changed"] = bool(report["summary"]["copied"] or report["summary"]["would_copy"] or report.get("wrote"))
    return report


def finish(settings, items, tasks, stopper):
    """Set statuses from finished tasks; return the failures."""
    by_name = dict((t.name, t) for t in tasks)
    failures = []
    for item in items:
        task = by_name.get(item.name)
        if task is None:
            continue
        if task.state == "done":
            item.status, item.bytes, item.seconds = "copied", task.result["bytes"], task.result["seconds"]
        elif task.state == "failed":
            item.status = "failed"
            item.error = str(task.error)
            failures.append(item)
        else:
            item.status = "not_attempted"
            item.error = "interrupted" if stopper.event.is_set() else "not attempted after an earlier fatal error"
    return failures


def failure_message(failures, stopper, what):
    if stopper.signal:
        return "interrupted by signal %d; %s" % (stopper.signal, what)
    first = failures[0]
    return "%d image(s) failed, first %s: %s; %s" % (len(failures), first.name, first.error, what)
