# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror engine as a command: parameters as JSON on stdin, the report as JSON on stdout.

The mirror role runs it as an asynchronous job on the mirror host
(``python3 -m ansible_collections.airgap.dify_platform.plugins.module_utils.release.cli``),
so that secrets travel on stdin (never on a command line) and the copy can run
for hours while the role shows its progress. It needs only the standard
library: the role parses and validates the release manifest on the controller
and passes it normalised.

Exit status: 0 done (``changed`` in the report), 1 the run failed (the report
says what was and was not copied), 2 bad parameters or input.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil
import sys
import tempfile
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import engine, progress
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


def wait(params, clock=time.time, sleep=time.sleep):
    """Block until the run with ``token`` ends (or its async job does) or ``timeout`` seconds pass.

    Returns ``{"finished": bool, "line": progress line, "state": progress}``; the role
    calls this between two progress lines, so one process replaces a wait, a read
    and a status check.
    """
    directory, token = params.get("directory"), params.get("token")
    deadline = clock() + float(params.get("timeout") or 20)
    job_file = params.get("job_file")
    while True:
        state = progress.read(directory) if directory else {}
        mine = state.get("token") == token
        finished = bool(mine and state.get("finished"))
        if not finished and job_file:
            try:
                with open(job_file) as handle:
                    job = json.load(handle)
                # Ansible's async wrapper writes {"started": 1, ...} first, then the task's result.
                finished = "started" not in job
            except (OSError, ValueError):
                pass
        if finished or clock() >= deadline:
            return {"finished": finished, "line": state.get("line", "starting") if mine else "starting", "state": state}
        sleep(0.5)


def main(stdin=None, stdout=None):
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    workdir = tempfile.mkdtemp(prefix="airgap-mirror-")
    try:
        try:
            params = json.load(stdin)
        except ValueError as exc:
            raise ValidationError("the parameters on stdin are not JSON: %s" % exc) from exc
        if not isinstance(params, dict):
            raise ValidationError("the parameters on stdin must be a JSON object")
        if "wait" in params:
            json.dump(wait(params["wait"]), stdout)
            return 0
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


if __name__ == "__main__":
    raise SystemExit(main())
