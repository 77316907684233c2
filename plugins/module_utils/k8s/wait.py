# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait, with a bounded timeout, until every gate of a wave is ready."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import not_ready_message, object_ref
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.pod_logs import gate_pods_detail
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.readiness import (
    has_failed,
    is_gate,
    is_ready,
)


class WaveNotReady(PlatformError):
    """A gate did not become ready in time, or failed; the message names it and its events."""

    def __init__(self, message, gates):
        super(WaveNotReady, self).__init__(message)
        self.gates = gates


# The first read after the apply comes soon, then each pause doubles up to the
# wave's interval: a gate that becomes ready within a second is not held for a
# whole interval, and a slow one is not polled more often than it was.
FIRST_PAUSE = 0.25


def pauses(interval, first=FIRST_PAUSE):
    """The pauses between two rounds of reads: ``first``, doubled each round, at most ``interval``."""
    pause = min(first, interval)
    while True:
        yield pause
        pause = min(pause * 2, interval)


def gates_of(objects):
    return [o for o in objects if is_gate(o)]


def wait_ready(client, gates, wave, component, timeout, interval=2.0, clock=time.monotonic, sleep=time.sleep, rerun=()):
    """Poll the gates until all are ready; return their live state, or raise :class:`WaveNotReady`.

    ``gates`` are the objects as the apply returned them, status included, so
    the first round reads nothing: a wave whose gates are ready already (a
    no-op) costs no request here. The pauses between rounds grow from
    ``FIRST_PAUSE`` to ``interval``. ``rerun`` names the Jobs this run already
    ran once more, for the message of a failed one.
    """
    deadline = clock() + timeout
    live = {}
    pending = list(gates)
    first = True
    waits = pauses(interval)
    while True:
        still = []
        for gate in pending:
            state = gate if first else client.get_json(client.path(gate))
            live[object_ref(gate)] = state
            if has_failed(state):
                raise WaveNotReady(_message(client, wave, component, timeout, [state], failed=True, rerun=rerun), [state])
            if not is_ready(state):
                still.append(gate)
        pending, first = still, False
        if not pending:
            return [live[object_ref(g)] for g in gates]
        if clock() >= deadline:
            states = [live[object_ref(g)] for g in pending]
            raise WaveNotReady(_message(client, wave, component, timeout, states), states)
        sleep(min(next(waits), max(0.0, deadline - clock())))


def _message(client, wave, component, timeout, states, failed=False, rerun=()):
    events = []
    for namespace in sorted(set((s.get("metadata") or {}).get("namespace") for s in states) - {None}):
        events.extend((client.get_json("/api/v1/namespaces/%s/events" % namespace) or {}).get("items", []))
    pods = {}
    for state in states:
        try:
            pods[object_ref(state)] = gate_pods_detail(client, state)
        except PlatformError as exc:
            # Reading the pods must never hide why the wave failed.
            pods[object_ref(state)] = ["(its pods could not be read: %s)" % exc]
    return not_ready_message(wave, component, timeout, states, events, failed=failed, rerun=rerun, pods=pods)
