# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of a mirror run: images done of total, bytes, what is running now.

Kept in ``progress.json`` (rewritten atomically, at most every half second, and
at every image) for the role to show while the copy runs, and as lines in
``progress.log`` for ``tail -f``. An optional ``sink`` callable gets every line
too (the command-line bench prints them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import atomic_write


def human(size):
    size = float(size or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024.0
    return "%.1f TiB" % size  # pragma: no cover


class Progress:
    """Thread-safe counters, persisted for whoever watches the run."""

    def __init__(self, directory=None, mode="", sink=None, clock=time.time, token=None):
        self.directory = directory
        self.sink = sink
        self.clock = clock
        self.lock = threading.Lock()
        self.state = {"mode": mode, "phase": "starting", "images_total": 0, "images_done": 0, "images_failed": 0,
                      "images_skipped": 0, "bytes_total": 0, "bytes_done": 0, "running": [], "finished": False,
                      "started": clock(), "elapsed": 0.0, "message": "", "token": token}
        self._last_write = 0.0
        if directory and not os.path.isdir(directory):
            os.makedirs(directory)
        if directory:
            try:
                with open(os.path.join(directory, "progress.log"), "a") as handle:
                    handle.write("--- %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), mode))
            except OSError:
                pass

    def line(self):
        s = self.state
        return "%s: %d/%d images (%d already there, %d failed), %s of %s, %.0fs%s" % (
            s["phase"], s["images_done"] + s["images_skipped"], s["images_total"], s["images_skipped"],
            s["images_failed"], human(s["bytes_done"]), human(s["bytes_total"]), s["elapsed"],
            (" - running: " + ", ".join(s["running"][:6])) if s["running"] else "")

    def _emit(self, text, force=False):
        now = self.clock()
        self.state["elapsed"] = round(now - self.state["started"], 1)
        stamped = "%s %s" % (time.strftime("%H:%M:%S"), text) if text else None
        try:  # progress is best effort: a full disk must fail the copy, not its progress report
            if self.directory and (force or now - self._last_write >= 0.5):
                self._last_write = now
                atomic_write(os.path.join(self.directory, "progress.json"),
                             json.dumps(dict(self.state, line=self.line()), sort_keys=True).encode(), durable=False)
            if stamped and self.directory:
                with open(os.path.join(self.directory, "progress.log"), "a") as handle:
                    handle.write(stamped + "\n")
        except OSError:
            pass
        if stamped and self.sink:
            self.sink(stamped)

    def phase(self, name, images_total=None, bytes_total=None):
        with self.lock:
            self.state["phase"] = name
            if images_total is not None:
                self.state["images_total"] = images_total
            if bytes_total is not None:
                self.state["bytes_total"] = bytes_total
            self._emit("%s" % self.line(), force=True)

    def started(self, name):
        with self.lock:
            self.state["running"].append(name)
            self._emit("")

    def finished(self, name, status, size=0, note=""):
        with self.lock:
            if name in self.state["running"]:
                self.state["running"].remove(name)
            key = {"copied": "images_done", "present": "images_skipped", "failed": "images_failed"}.get(status)
            if key:
                self.state[key] += 1
            self.state["bytes_done"] += size
            self._emit("%s %s%s | %s" % (name, status, (" (%s)" % note) if note else "", self.line()), force=True)

    def present(self, names):
        """The images already there, in one line and one write (a rerun wrote both once per image)."""
        names = list(names)
        if not names:
            return
        with self.lock:
            self.state["images_skipped"] += len(names)
            self._emit("already there (%d): %s | %s" % (len(names), ", ".join(names), self.line()), force=True)

    def note(self, text):
        with self.lock:
            self.state["message"] = text
            self._emit(text, force=True)

    def done(self, message=""):
        with self.lock:
            self.state["finished"] = True
            self.state["running"] = []
            self.state["message"] = message
            self._emit("finished: %s | %s" % (message, self.line()), force=True)


def read(directory):
    """The last progress state written in ``directory`` (empty dict when none)."""
    try:
        with open(os.path.join(directory, "progress.json"), "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return {}
