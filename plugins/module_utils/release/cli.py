# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror engine as a command: parameters as JSON on stdin, the report as JSON on stdout.

The mirror role runs it on the mirror host
(``python3 -m ansible_collections.airgap.dify_platform.plugins.module_utils.release.cli``),
so that secrets travel on stdin (never on a command line) and the copy can run
for hours while the role shows its progress. It needs only the standard
library: the role parses and validates the release manifest on the controller
and passes it normalised.

Three ways to call it (all JSON on stdin, JSON on stdout):

* the parameters alone: run the engine here and answer with its report;
* the parameters with ``start: {result_file, timeout, run_timeout}``: start the engine
  detached from this process (its own session; it writes its report to ``result_file``),
  then wait for it at most ``timeout`` seconds, and answer as ``wait`` does, the report
  included when the run ended. A run shorter than one progress interval (a rerun) thus
  costs the role one task, where Ansible's async job cost three module runs and a
  one-second status poll;
* ``wait: {directory, token, timeout, result_file, pid}``: the next progress round.

Exit status: 0 done (``changed`` in the report), 1 the run failed (the report
says what was and was not copied), 2 bad parameters or input.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import shutil
import signal
import sys
import tempfile
import traceback

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import engine
# The command's API: start and wait live in detach.py, which the role's step imports alone.
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.detach import start, wait
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import parse_manifest
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.policy import check_public_key, write_policy
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Endpoint

DEFAULTS = {
    "manifest": None, "resolve_tags": False, "platforms": [], "concurrency": 4, "registry": None, "project": None,
    "source_credentials": [], "source_ca_path": None, "source_validate_certs": True, "dest_username": None,
    "dest_password": None, "dest_ca_path": None, "dest_validate_certs": True, "crane_path": "crane",
    "skopeo_path": "skopeo", "cosign_public_key": None, "signature_policy": None, "archive_dir": None,
    "archive_size": "0", "archive_prefix": None, "verify": "full", "copy_timeout": 3600, "push_tags": True,
    "progress_token": None, "check_mode": False, "check_space": True, "cosign_path": "cosign",
    "cosign_ignore_tlog": True,
}


def _blank(value):
    return value is None or value == ""


def settings_from(params, workdir):
    """Validate the parameters and build the engine's Settings."""
    unknown = sorted(set(params) - set(DEFAULTS) - {"mode", "directory"})
    if unknown:
        raise ValidationError("unknown parameter(s): %s" % ", ".join(unknown))
    p = dict(DEFAULTS)
    p.update((k, v) for k, v in params.items() if not _blank(v) or k in ("platforms", "source_credentials"))
    mode = p.get("mode")
    if mode not in engine.MODES:
        raise ValidationError("mode must be one of %s" % ", ".join(engine.MODES))
    if _blank(p.get("directory")):
        raise ValidationError("directory is required")
    manifest = None
    if p["manifest"] is not None:
        manifest = parse_manifest(p["manifest"], allow_tags=bool(p["resolve_tags"]), origin="release manifest")
    elif mode != "disk_to_mirror":
        raise ValidationError("the release manifest is required for %s" % mode)
    if mode != "mirror_to_disk" and (_blank(p["registry"]) or _blank(p["project"])):
        raise ValidationError("registry and project are required for %s" % mode)
    credentials = {}
    for item in p["source_credentials"] or []:
        if not isinstance(item, dict) or not all(item.get(k) for k in ("registry", "username", "password")):
            raise ValidationError("each source credential needs registry, username and password")
        credentials[item["registry"]] = (item["username"], item["password"])
    src = Endpoint(credentials, p["source_ca_path"], bool(p["source_validate_certs"]))
    dest_credentials = {}
    if not _blank(p["dest_username"]):
        dest_credentials[p["registry"]] = (p["dest_username"], p["dest_password"] or "")
    dest = Endpoint(dest_credentials, p["dest_ca_path"], bool(p["dest_validate_certs"]))
    if p["cosign_public_key"] and p["signature_policy"]:
        raise ValidationError("give a cosign public key or a signature policy, not both")
    policy_path = registries_d = None
    if p["signature_policy"]:
        policy_path, registries_d = write_policy(workdir, policy=p["signature_policy"])
    if p["cosign_public_key"]:
        check_public_key(p["cosign_public_key"])
    try:
        concurrency, copy_timeout = int(p["concurrency"]), int(p["copy_timeout"])
    except (TypeError, ValueError):
        raise ValidationError("concurrency and copy_timeout must be integers") from None
    return engine.Settings(
        mode, p["directory"], manifest=manifest, registry=p["registry"], project=p["project"],
        platforms=p["platforms"] or None, concurrency=concurrency, resolve_tags=bool(p["resolve_tags"]), src=src,
        dest=dest, crane=p["crane_path"], skopeo=p["skopeo_path"], policy_path=policy_path, registries_d=registries_d,
        archive_dir=p["archive_dir"], archive_size=engine.parse_size(p["archive_size"]), archive_prefix=p["archive_prefix"],
        verify=p["verify"], check_mode=bool(p["check_mode"]), copy_timeout=copy_timeout, push_tags=bool(p["push_tags"]),
        progress_token=p["progress_token"], sink=None, check_space=bool(p["check_space"]),
        cosign_key=p["cosign_public_key"], cosign=p["cosign_path"], cosign_ignore_tlog=bool(p["cosign_ignore_tlog"]))


class _RunTimeout(Exception):
    pass


def _on_alarm(_signum, _frame):
    raise _RunTimeout()


def run_detached(params):
    """The detached run: the engine, then ``{"rc", "stdout"}`` written atomically to ``result_file``.

    After ``timeout`` seconds (0: none) the run stops, reports that it did not end in time,
    and ends every process of its session (its crane and skopeo copies), as Ansible's async
    wrapper did with ``async``.
    """
    params = dict(params)
    opts = params.pop("run")
    result_file, timeout = opts["result_file"], int(opts.get("timeout") or 0)
    out = io.StringIO()
    timed_out = False
    if timeout > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(timeout)
    try:
        rc = run(params, out)
    except _RunTimeout:
        timed_out, rc = True, 1
        out = io.StringIO(json.dumps({"failed": True, "changed": False, "error": "Timeout",
                                      "msg": "the copy did not end within %d seconds (mirror_timeout); "
                                             "rerun to resume it" % timeout}))
    except BaseException:  # pylint: disable=broad-except
        rc = 3
        out = io.StringIO(json.dumps({"failed": True, "changed": False, "error": "EngineCrash",
                                      "msg": "the mirror engine crashed: %s" % traceback.format_exc()[-2000:]}))
    finally:
        signal.alarm(0)
    tmp = result_file + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"rc": rc, "stdout": out.getvalue()}, handle)
    os.replace(tmp, result_file)
    if timed_out:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(os.getpgrp(), signal.SIGTERM)
    return rc


def run(params, stdout):
    """Run the engine with ``params``; its report (or the error) as JSON on ``stdout``; the exit status."""
    workdir = tempfile.mkdtemp(prefix="airgap-mirror-")
    try:
        report = engine.run(settings_from(params, workdir))
        json.dump(dict(report, failed=False, msg="done"), stdout)
        return 0
    except engine.MirrorError as exc:
        out = {"failed": True, "msg": str(exc), "error": type(exc).__name__, "changed": False}
        if exc.report:
            out.update(summary=exc.report["summary"], images=exc.report["images"], report=exc.report.get("report"),
                       changed=exc.report.get("changed", False))
        json.dump(out, stdout)
        return 1
    except PlatformError as exc:
        json.dump({"failed": True, "msg": str(exc), "error": type(exc).__name__, "changed": False}, stdout)
        return 2
    except OSError as exc:
        json.dump({"failed": True, "msg": "%s: %s" % (type(exc).__name__, exc), "error": type(exc).__name__,
                   "changed": False}, stdout)
        return 3
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(stdin=None, stdout=None):
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        params = json.load(stdin)
    except ValueError as exc:
        json.dump({"failed": True, "msg": "the parameters on stdin are not JSON: %s" % exc, "error": "ValidationError",
                   "changed": False}, stdout)
        return 2
    if not isinstance(params, dict):
        json.dump({"failed": True, "msg": "the parameters on stdin must be a JSON object", "error": "ValidationError",
                   "changed": False}, stdout)
        return 2
    if "wait" in params:
        json.dump(wait(params["wait"]), stdout)
        return 0
    if "start" in params:
        json.dump(start(params), stdout)
        return 0
    if "run" in params:
        return run_detached(params)
    return run(params, stdout)


if __name__ == "__main__":
    raise SystemExit(main())
