# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One step of a mirror run as the role takes it: start the engine, follow it, or plan it.

Shared by the ``mirror_engine`` action plugin, which runs it in the controller's worker
when the mirror host is the controller (no module to build, no interpreter to start:
about a second of CPU per ``ansible-playbook`` run, issue 20), and by the
``mirror_engine`` module, which runs it on any other mirror host. Either way the engine
itself runs as its own process (``cli.py``, started by ``detach.py``): detached for a real run, so that the
copy may outlive the task; to its end for the plan of check mode, which writes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import detach

ARGUMENT_SPEC = {
    # Not no_log as a whole: every value of it (4, "0", a path) would be masked in the answer too.
    # The secrets come in the two options below, which are.
    "params": {"type": "dict"},
    "dest_password": {"type": "str", "no_log": True},
    "source_credentials": {"type": "list", "elements": "dict", "default": [], "options": {
        "registry": {"type": "str", "required": True},
        "username": {"type": "str", "required": True},
        "password": {"type": "str", "required": True, "no_log": True},
    }},
    "pid": {"type": "int"},
    "directory": {"type": "path", "required": True},
    "token": {"type": "str", "required": True, "no_log": False},
    "timeout": {"type": "int", "default": 20},
    "run_timeout": {"type": "int", "default": 0},
    "python": {"type": "str"},
    "pythonpath": {"type": "path"},
}
MUTUALLY_EXCLUSIVE = [("params", "pid")]
REQUIRED_ONE_OF = [("params", "pid")]


def result_file(args):
    return os.path.join(args["directory"], ".runs", "%s.json" % args["token"])


def step(args, check_mode, run_sync, environ=None):
    """Start (``params``) or follow (``pid``) a run; in check mode, ``params`` plans it instead.

    ``run_sync(argv, stdin_text, env)`` -> ``(rc, stdout, stderr)`` runs the plan to its end.
    Returns the task's result: ``finished``, ``line``, ``pid``, and when the run ended its
    ``engine_rc`` and ``report`` (the engine's answer), or ``output`` when the engine gave none.
    Not ``rc``: Ansible fails a task whose ``rc`` is not 0, and the role's own task says why it failed.
    """
    python = args.get("python") or sys.executable
    params = args.get("params")
    if params is not None:
        params = dict(params, directory=args["directory"], progress_token=args["token"], check_mode=bool(check_mode),
                      dest_password=args.get("dest_password"), source_credentials=args.get("source_credentials") or [])
    if params is not None and check_mode:
        rc, out, err = run_sync([python, "-m", detach.COMMAND], json.dumps(params),
                                detach.engine_environment(environ, args.get("pythonpath")))
        answer = {"finished": True, "line": "check mode: planned", "state": {},
                  "result": {"rc": rc, "stdout": out, "stderr": err}}
    elif params is not None:
        params["start"] = {"result_file": result_file(args), "timeout": args["timeout"], "run_timeout": args["run_timeout"]}
        answer = detach.start(params, python=python, environ=environ, pythonpath=args.get("pythonpath"))
    else:
        answer = detach.wait({"directory": args["directory"], "token": args["token"], "timeout": args["timeout"],
                              "result_file": result_file(args), "pid": args["pid"]})
    return outcome(answer)


def outcome(answer):
    """The task's result from the engine command's answer."""
    result = {"changed": False, "finished": bool(answer.get("finished")), "line": answer.get("line") or "",
              "pid": answer.get("pid")}
    ended = answer.get("result")
    if ended is not None:
        result["engine_rc"] = ended.get("rc")
        text = ended.get("stdout") or ""
        try:
            report = json.loads(text)
        except ValueError:
            report = None
        if isinstance(report, dict):
            result["report"] = report
        else:
            result["output"] = (text + (ended.get("stderr") or ""))[-2000:]
    return result
