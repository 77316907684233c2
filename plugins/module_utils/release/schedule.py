# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded, blob-aware parallel copies.

At most ``concurrency`` copies run at once. A copy does not start while other
running copies are transferring a large share of the bytes it needs (a shared
base layer): it waits, and then finds those blobs already there (skipped on
disk, mounted or skipped in the registry), so that a base layer crosses the
wire once. A small share (under :data:`WAIT_SHARE` of what the copy needs, such
as a few MiB every image shares) is sent again rather than waited for: waiting
for it left every copy but one idle at the start of a run (issue 20,
``make bench-mirror``, whose 20 images all share a 4 MiB layer). Among the
copies that may start, the one with the most bytes left goes first.

A failure whose kind is fatal (no space, credentials, TLS) stops new copies;
the ones running finish or fail on their own. ``stop`` (an Event) does the same
from outside, for example on SIGTERM.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import concurrent.futures
import threading

FATAL_KINDS = frozenset(("no_space", "auth", "tls", "project", "connection", "signature_policy"))
# A copy waits when running copies transfer at least this share of the bytes it needs.
WAIT_SHARE = 1.0 / 8


class Task:
    """One copy: ``run()`` does it; ``blobs`` maps the digests it may transfer to their sizes."""

    def __init__(self, name, blobs, run):
        self.name = name
        self.blobs = dict(blobs)
        self.run = run
        self.result = None
        self.error = None
        self.state = "pending"  # pending, running, done, failed, cancelled

    @property
    def weight(self):
        return sum(self.blobs.values())


def run_tasks(tasks, concurrency, stop=None, is_fatal=None):
    """Run ``tasks``; return them with ``state``, ``result`` and ``error`` set. Never raises for a task."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    stop = stop or threading.Event()
    is_fatal = is_fatal or (lambda exc: getattr(exc, "kind", None) in FATAL_KINDS)
    pending = sorted(tasks, key=lambda t: (-t.weight, t.name))
    in_flight = collections.Counter()  # digest -> running copies transferring it
    landed = set()
    running = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        while pending or running:
            if not stop.is_set():
                for task in list(pending):
                    if len(running) >= concurrency:
                        break
                    needs = set(task.blobs) - landed
                    busy = sum(task.blobs[d] for d in needs if in_flight[d])
                    if busy and busy >= WAIT_SHARE * sum(task.blobs[d] for d in needs):
                        continue
                    pending.remove(task)
                    task.state = "running"
                    in_flight.update(needs)
                    task._claimed = needs  # pylint: disable=protected-access
                    running[pool.submit(task.run)] = task
            if not running:
                break
            done, _pending = concurrent.futures.wait(list(running), return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                in_flight.subtract(task._claimed)  # pylint: disable=protected-access
                try:
                    task.result = future.result()
                    task.state = "done"
                    landed.update(task.blobs)
                except Exception as exc:  # pylint: disable=broad-except
                    task.error = exc
                    task.state = "failed"
                    if is_fatal(exc):
                        stop.set()
    for task in pending:
        task.state = "cancelled"
    return tasks
