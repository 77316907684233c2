"""Bounded, blob-aware parallel copies (plugins/module_utils/release/schedule.py)."""

import threading
import time

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.schedule import Task, run_tasks


class Recorder:
    """Records which tasks run at the same time and which blobs are in flight."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = set()
        self.max_running = 0
        self.in_flight = {}
        self.overlaps = []
        self.order = []
        self.landed = set()
        self.times = {}

    def task(self, name, blobs, seconds=0.05, error=None):
        def run():
            with self.lock:
                self.running.add(name)
                self.order.append(name)
                self.max_running = max(self.max_running, len(self.running))
                self.times[name] = [time.monotonic(), None]
                for blob in blobs:
                    if blob in self.landed:
                        continue  # already there: the copy skips it
                    if blob in self.in_flight:
                        self.overlaps.append((blob, self.in_flight[blob], name))
                    self.in_flight[blob] = name
            time.sleep(seconds)
            with self.lock:
                self.running.discard(name)
                self.times[name][1] = time.monotonic()
                for blob in blobs:
                    if self.in_flight.get(blob) == name:
                        del self.in_flight[blob]
                if not error:
                    self.landed.update(blobs)
            if error:
                raise error
            return {"bytes": sum(blobs.values())}
        return Task(name, blobs, run)


def test_concurrency_is_bounded_and_shared_blobs_never_travel_twice_at_once():
    rec = Recorder()
    tasks = [rec.task("img%d" % i, {"base-%d" % (i % 3): 100, "own-%d" % i: 10}) for i in range(12)]
    run_tasks(tasks, concurrency=4)
    assert all(t.state == "done" for t in tasks)
    assert rec.max_running <= 4
    assert rec.overlaps == [], "a blob was being copied by two tasks at once"
    first_three = rec.order[:3]
    assert sorted(int(n[3:]) % 3 for n in first_three) == [0, 1, 2], "the three bases go first, in parallel"
    fourth = rec.order[3]
    assert rec.times[fourth][0] >= min(rec.times[n][1] for n in first_three), "the rest waits for a base"
    assert rec.max_running == 4


def test_a_small_shared_blob_is_sent_again_rather_than_waited_for():
    """Every image shares a 4-unit layer beside its own base (make bench-mirror's bench-common):
    the three bases start at once, each sending the small layer, instead of one image alone;
    an image whose base is in flight still waits for it (issue 20)."""
    rec = Recorder()
    tasks = [rec.task("img%d" % i, {"base-%d" % (i % 3): 100, "common": 4, "own-%d" % i: 30}) for i in range(9)]
    run_tasks(tasks, concurrency=4)
    assert all(t.state == "done" for t in tasks)
    assert sorted(int(n[3:]) % 3 for n in rec.order[:3]) == [0, 1, 2]
    assert min(rec.times[n][1] for n in rec.order[:3]) > max(rec.times[n][0] for n in rec.order[:3]), \
        "the three bases ran at the same time"
    assert {blob for blob, _first, _second in rec.overlaps} == {"common"}, "only the small layer travelled twice"


def test_larger_tasks_go_first():
    rec = Recorder()
    tasks = [rec.task("small", {"a": 1}), rec.task("big", {"b": 100}), rec.task("medium", {"c": 10})]
    run_tasks(tasks, concurrency=1)
    assert rec.order == ["big", "medium", "small"]


def test_a_failure_does_not_stop_the_others_but_a_fatal_one_does():
    class Boom(Exception):
        kind = "other"

    class Full(Exception):
        kind = "no_space"

    rec = Recorder()
    tasks = [rec.task("a", {"a": 3}, error=Boom("x")), rec.task("b", {"b": 2}), rec.task("c", {"c": 1})]
    run_tasks(tasks, concurrency=1)
    assert [t.state for t in tasks] == ["failed", "done", "done"]

    rec = Recorder()
    tasks = [rec.task("a", {"a": 3}, error=Full("disk")), rec.task("b", {"b": 2}), rec.task("c", {"c": 1})]
    run_tasks(tasks, concurrency=1)
    assert [t.state for t in tasks] == ["failed", "cancelled", "cancelled"]
    assert isinstance(tasks[0].error, Full)


def test_stop_event_cancels_what_has_not_started():
    stop = threading.Event()
    rec = Recorder()
    tasks = [rec.task("a", {"a": 3}, seconds=0.2), rec.task("b", {"b": 2})]
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    run_tasks(tasks, concurrency=1, stop=stop)
    assert [t.state for t in tasks] == ["done", "cancelled"]


def test_concurrency_must_be_positive():
    with pytest.raises(ValueError):
        run_tasks([], concurrency=0)
