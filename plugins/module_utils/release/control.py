# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every mirror run holds while it runs: the lock on its directory, the stop on a
signal, and the bounded pool its steps run in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import contextlib
import fcntl
import os
import signal
import threading

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError


class RunLock:
    """An exclusive lock on the run's directory: two runs never write the same store."""

    def __init__(self, directory, check_mode=False):
        self.path = os.path.join(directory, ".mirror.lock")
        self.handle = None
        self.check_mode = check_mode

    def __enter__(self):
        if self.check_mode:
            return self
        if not os.path.isdir(os.path.dirname(self.path)):
            os.makedirs(os.path.dirname(self.path))
        self.handle = open(self.path, "a+")  # pylint: disable=consider-using-with
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "unknown"
            self.handle.close()
            raise MirrorError("another mirror run (pid %s) is using %s; wait for it or stop it first"
                              % (holder, os.path.dirname(self.path))) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()


class Stopper:
    """Turns SIGTERM/SIGINT into a stop: no new copies, running copies are terminated."""

    def __init__(self):
        self.event = threading.Event()
        self.processes = set()
        self.lock = threading.Lock()
        self.previous = {}
        self.signal = None

    def track(self, process):
        with self.lock:
            self.processes.add(process)
            if self.event.is_set():
                self._kill(process)

    def untrack(self, process):
        with self.lock:
            self.processes.discard(process)

    @staticmethod
    def _kill(process):
        if process.poll() is None:
            with contextlib.suppress(OSError):
                process.terminate()

    def _handle(self, signum, frame):  # pylint: disable=unused-argument
        self.signal = signum
        self.event.set()
        with self.lock:
            for process in list(self.processes):
                self._kill(process)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                self.previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def parallel(function, items, concurrency):
    """Run ``function(item)`` for every item with a bounded pool; re-raise the first error."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(function, items))
