# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine command's detached run, started and waited for (``cli.py`` runs it).

Apart from the engine itself, so that what starts and follows a run (the role's
``mirror_engine`` step, in Ansible's own process on the controller) imports only
this and the progress file's reader, not every mode of the engine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import select
import subprocess
import sys
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import progress

COMMAND = "ansible_collections.airgap.dify_platform.plugins.module_utils.release.cli"


def _result(result_file):
    """The detached run's outcome, ``{"rc": int, "stdout": str}``, once it wrote it (else None)."""
    try:
        with open(result_file) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _alive(pid):
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    try:  # a child of this process that ended is a zombie until reaped: reap it
        done, _status = os.waitpid(int(pid), os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _exit_handle(pid):
    """A descriptor that becomes readable when process ``pid`` ends (Linux 5.3+ ``pidfd_open``), or None.

    It lets the wait wake the moment the engine ends, where a poll that backs off to half a
    second found it on average a quarter of a second late, per side of a mirror (issue 20).
    """
    opener = getattr(os, "pidfd_open", None)
    if opener is None or not pid:
        return None
    try:
        return opener(int(pid))
    except (OSError, ValueError, TypeError):
        return None


def wait(params, clock=time.time, sleep=time.sleep):
    """Block until the run with ``token`` ends (or its async job does) or ``timeout`` seconds pass.

    Returns ``{"finished": bool, "line": progress line, "state": progress}``, plus ``result``
    (``{"rc", "stdout"}``) when a detached run's ``result_file`` is written; the role
    calls this between two progress lines, so one process replaces a wait, a read
    and a status check. A detached run (``pid``) that ended without writing its result
    is finished too, with a result that says so.
    """
    directory, token = params.get("directory"), params.get("token")
    deadline = clock() + float(params.get("timeout") or 20)
    job_file, result_file, pid = params.get("job_file"), params.get("result_file"), params.get("pid")
    poll = 0.02
    # The engine writes its report, then ends: its end is the moment to look for the report.
    ended = _exit_handle(pid) if result_file else None
    try:
        while True:
            state = progress.read(directory) if directory else {}
            mine = state.get("token") == token
            finished = bool(mine and state.get("finished"))
            result = _result(result_file) if result_file else None
            if result_file:
                # The engine marks its progress finished before it writes its report: wait for the report.
                finished = result is not None
                if result is None and pid and not _alive(pid):
                    result = _result(result_file) or {"rc": 3, "stdout": json.dumps({
                        "failed": True, "changed": False, "error": "EngineLost",
                        "msg": "the mirror engine (pid %s) ended without a report; see %s.stderr" % (pid, result_file)})}
                    finished = True
            if not finished and job_file:
                try:
                    with open(job_file) as handle:
                        job = json.load(handle)
                    # Ansible's async wrapper writes {"started": 1, ...} first, then the task's result.
                    finished = "started" not in job
                except (OSError, ValueError):
                    pass
            now = clock()
            if finished or now >= deadline:
                answer = {"finished": finished, "line": state.get("line", "starting") if mine else "starting", "state": state}
                if result is not None:
                    answer["result"] = result
                if pid:
                    answer["pid"] = pid
                return answer
            if ended is not None:
                # Asleep until the engine ends or the round is over; once it ended, the next look finds
                # its report (or, once its parent reaped it, its loss), polling from then on.
                if select.select([ended], [], [], max(0.0, deadline - now))[0]:
                    os.close(ended)
                    ended = None
                continue
            # Without a pidfd: short polls first (a rerun ends within a second, and a fixed half-second
            # poll was a tenth of it), then at most every half second (one small file read each).
            sleep(min(poll, deadline - now))
            poll = min(poll * 1.5, 0.5)
    finally:
        if ended is not None:
            os.close(ended)


def _drop_finished(runs):
    """Delete the reports (and stderr) of earlier runs that ended; a run still going has no report yet."""
    for name in os.listdir(runs):
        if name.endswith(".json"):
            for path in (name, name + ".stderr", name + ".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(runs, path))


def package_root():
    """The directory that holds ``ansible_collections/`` with this package."""
    return os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 6))


def engine_environment(environ=None, pythonpath=None):
    """The engine's environment: ``environ`` (default: this process's) with the directory that holds
    ``ansible_collections/`` first on ``PYTHONPATH``: ``pythonpath`` when given (a module's own copy
    is deleted when the module ends), else this file's."""
    env = dict(os.environ if environ is None else environ)
    root = pythonpath or package_root()
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def start(params, python=None, environ=None, pythonpath=None):
    """Start the engine detached (its own session, so the role's task may end while it runs), then wait.

    ``params["start"]``: ``result_file`` (where the run writes ``{"rc", "stdout"}``, 0600),
    ``timeout`` (seconds to wait here), ``run_timeout`` (seconds after which the run stops
    itself and its copies, as ``async`` did). Answers as :func:`wait`, plus the run's ``pid``.
    ``environ`` and ``pythonpath``: as :func:`engine_environment`.
    """
    params = dict(params)
    opts = params.pop("start")
    result_file = opts["result_file"]
    parent = os.path.dirname(result_file)
    if parent:
        os.makedirs(parent, exist_ok=True)
    _drop_finished(parent or ".")
    params["run"] = {"result_file": result_file, "timeout": int(opts.get("run_timeout") or 0)}
    env = engine_environment(environ, pythonpath)
    fd = os.open(result_file + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        # pylint: disable-next=ansible-bad-function,consider-using-with
        proc = subprocess.Popen(  # noqa: S603 - argv built here
            [python or sys.executable, "-m", COMMAND], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=fd, env=env,
            start_new_session=True, close_fds=True)
    finally:
        os.close(fd)
    proc.stdin.write(json.dumps(params).encode("utf-8"))
    proc.stdin.close()
    answer = wait({"directory": params.get("directory"), "token": params.get("progress_token"),
                   "timeout": opts.get("timeout"), "result_file": result_file, "pid": proc.pid})
    return answer
