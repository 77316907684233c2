# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Job that failed before this run is deleted and run once more.

The migration Jobs are named after their inputs (image and environment), and a
Job's pod template is immutable: once such a Job failed, applying the same
manifest again leaves the failed Job as it is, and every later converge would
fail at once on it. So a Job found failed when the run applies it (it failed in
an earlier run) is deleted, with its pods, and created again from the same
manifest: one new run per converge. A Job that fails in this run fails the wave,
and nothing after its step is applied; the next converge runs it once more.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.apply import CREATED, apply_object
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import object_ref
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import has_failed
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import pauses


class JobNotDeleted(PlatformError):
    """The failed Job was still there when its new run should have started."""


def failed_before(result):
    """Whether an applied object is a Job that had already failed when this run read it."""
    return result["kind"] == "Job" and result["before"] is not None and has_failed(result["before"])


def rerun_failed_jobs(client, results, manifests, field_manager, force=True, check_mode=False, applied=None,
                      timeout=60, interval=2.0, clock=time.monotonic, sleep=time.sleep):
    """Replace, in ``results``, each Job that had failed before this run by a new run of it.

    ``manifests`` maps ``object_ref`` to the manifest the run applies. Return the
    refs of the Jobs run again. In check mode nothing is deleted, and the Job is
    reported as to be created.
    """
    rerun = []
    for index, result in enumerate(results):
        if not failed_before(result):
            continue
        manifest = manifests[result["ref"]]
        if check_mode:
            results[index] = dict(result, action=CREATED, after=manifest, sent=False)
        else:
            _delete(client, result["before"], timeout, interval, clock, sleep)
            created = apply_object(client, manifest, field_manager, force, applied=applied)
            results[index] = dict(created, action=CREATED, before=result["before"])
        rerun.append(result["ref"])
    return rerun


def _delete(client, job, timeout, interval, clock, sleep):
    """Delete the failed Job and its pods, and wait until the name is free."""
    path = client.path(job)
    uid = job["metadata"]["uid"]
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background",
               "preconditions": {"uid": uid}}
    # 404: already gone; 409: the name already holds another Job than the failed one.
    client.request("DELETE", path, body=options, expect=(404, 409))
    deadline = clock() + timeout
    waits = pauses(interval)
    while True:
        live = client.request("GET", path, expect=(404,))
        if live.status == 404 or (live.json().get("metadata") or {}).get("uid") != uid:
            return
        if clock() >= deadline:
            finalizers = (live.json().get("metadata") or {}).get("finalizers")
            raise JobNotDeleted("%s failed earlier and was deleted to run it once more, but it was still there after "
                                "%ss (finalizers: %s)" % (object_ref(job), timeout, finalizers))
        sleep(min(next(waits), max(0.0, deadline - clock())))
