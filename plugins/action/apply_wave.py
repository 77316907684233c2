# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of airgap.dify_platform.apply_wave: it runs on the controller.

A wave is applied and waited for in the controller's process, over one
kept-alive connection, instead of one module process per step: that is what
brings a no-op converge of the platform close to ``kubectl apply``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

import yaml
from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import RetryPolicy
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.applied import AppliedRecord, default_record_dir
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.apply import (
    CONFIGURED,
    CREATED,
    UNCHANGED,
    apply_objects,
    confirm_unchanged,
    diff_of,
    require_served,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.client import KubeClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.failure import object_ref
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.kubeconfig import load_connection
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.rerun import failed_before, rerun_failed_jobs
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.wait import gates_of, wait_ready
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import RenderMemo
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.wave_templates import WaveTemplates, given

display = Display()

ARGUMENT_SPEC = {
    "objects": {"type": "list", "elements": "dict", "default": []},
    "templates": {"type": "list", "elements": "str", "default": []},
    "steps": {"type": "list", "elements": "dict", "default": [], "options": {
        "templates": {"type": "list", "elements": "str", "default": []},
        "objects": {"type": "list", "elements": "dict", "default": []},
    }},
    "wave": {"type": "int", "required": True},
    "component": {"type": "str", "required": True},
    "field_manager": {"type": "str", "default": "airgap.dify_platform"},
    "force_conflicts": {"type": "bool", "default": True},
    "create_only": {"type": "bool", "default": False},
    "rerun_failed_jobs": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
    "wait_sleep": {"type": "float", "default": 2.0},
    "started": {"type": "float"},
    "report": {"type": "bool", "default": True},
    "render_dir": {"type": "path", "default": ""},
    "applied_record_dir": {"type": "str"},
    "links": {"type": "list", "elements": "dict", "default": []},
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "request_timeout": {"type": "int", "default": 30},
    "retries": {"type": "int", "default": 3},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        facts = (task_vars or {}).get("ansible_facts") or {}
        started = args["started"] or _previous_wave_ready(facts) or time.time()
        check_mode = bool(self._task.check_mode)
        if args["wait_timeout"] < 0 or args["wait_sleep"] <= 0 or args["retries"] < 0 or args["request_timeout"] <= 0:
            raise AnsibleActionFail("wait_timeout must be 0 or more, wait_sleep and request_timeout more than 0, retries 0 or more")
        steps = _steps(args)
        record_dir = _record_dir(args["applied_record_dir"])
        # A memo of rendered templates is kept beside the record of applied objects. Writing
        # the objects out needs them all rendered, and a Jinja extension may read anything.
        memo = None
        if record_dir and not args["render_dir"] and not C.DEFAULT_JINJA2_EXTENSIONS:
            memo = RenderMemo.load(record_dir)
        templates = WaveTemplates(self, task_vars or {}, memo, args["field_manager"], args["force_conflicts"])
        planned = [[*templates.parts(step["templates"]), given(step["objects"])] for step in steps]
        if args["render_dir"] and not check_mode:
            _write_rendered(args["render_dir"], args["wave"], args["component"],
                            [o for parts in planned for part in parts for o in part.objects()])
        client = record = None
        try:
            client = KubeClient(
                load_connection(args["kubeconfig"], args["context"]),
                validate_certs=args["validate_certs"], ca_path=args["ca_path"],
                timeout=args["request_timeout"], retry=RetryPolicy(attempts=args["retries"] + 1))
            if record_dir:
                record = AppliedRecord.load(record_dir, client.base_url)
            applied, gates, rerun = _apply_steps(client, planned, args, record, check_mode)
        except PlatformError as exc:
            raise AnsibleActionFail(str(exc)) from None
        finally:
            if client is not None:
                client.close()
            if not check_mode:
                for kept in (record, memo):
                    _save(kept)

        changed = [r for r in applied if r["action"] != UNCHANGED]
        result.update(
            changed=bool(changed),
            objects=[{"ref": r["ref"], "action": r["action"]} for r in applied],
            created=sum(r["action"] == CREATED for r in applied),
            configured=sum(r["action"] == CONFIGURED for r in applied),
            unchanged=sum(r["action"] == UNCHANGED for r in applied),
            sent=sum(r["sent"] for r in applied),
            rendered=templates.rendered,
            recalled=sum(len(step["templates"]) for step in steps) - templates.rendered,
            gates=[object_ref(g) for g in gates],
            rerun=rerun,
            routes=_routes(applied),
            report={
                "wave": args["wave"],
                "component": args["component"],
                "objects": len(applied),
                "seconds": round(time.time() - started, 1),
                "ready_at": round(time.time(), 3),
            },
        )
        if self._task.diff and changed:
            result["diff"] = [diff_of(r) for r in changed]
        if args["report"]:
            result["ansible_facts"] = {
                "dify_platform_wave_report": [*(facts.get("dify_platform_wave_report") or []), result["report"]],
                "dify_platform_routes": [*(facts.get("dify_platform_routes") or []), *result["routes"], *args["links"]],
            }
        return result


def _apply_steps(client, planned, args, record, check_mode):
    """Apply each step's parts, then wait for its gates before the next step; return (applied, gates, rerun).

    A part recalled from the memo of rendered templates is only read: when each of its
    objects is still what this controller last applied, it is unchanged, and otherwise
    it is rendered and applied like any other. A Job found failed (in an earlier run) is
    deleted and run once more (``rerun``, the refs of those Jobs), unless turned off.
    """
    require_served(client, [o for parts in planned for part in parts for o in part.identities()])
    applied, gates, rerun = [], [], []
    for parts in planned:
        step_applied = []
        for part in parts:
            results = None
            if part.recalled is not None and record is not None:
                results = confirm_unchanged(client, part.recalled, record)
            if results is None:
                results = apply_objects(client, part.objects(), args["field_manager"], force=args["force_conflicts"],
                                        check_mode=check_mode, create_only=args["create_only"], applied=record)
            step_applied.extend(results)
        failed = set(r["ref"] for r in step_applied if failed_before(r))
        step_rerun = []
        if failed and args["rerun_failed_jobs"] and not args["create_only"]:
            step_rerun = rerun_failed_jobs(
                client, step_applied, _manifests(parts, failed), args["field_manager"], force=args["force_conflicts"],
                check_mode=check_mode, applied=record, timeout=args["wait_timeout"], interval=args["wait_sleep"])
        step_gates = gates_of([r["after"] for r in step_applied])
        applied.extend(step_applied)
        gates.extend(step_gates)
        rerun.extend(step_rerun)
        if args["wait"] and not check_mode and step_gates:
            wait_ready(client, step_gates, args["wave"], args["component"], args["wait_timeout"], args["wait_sleep"],
                       rerun=step_rerun)
    return applied, gates, rerun


def _manifests(parts, refs):
    """The manifests of the objects named in ``refs``, by ref; only the parts that hold one are rendered."""
    found = {}
    for part in parts:
        if any(object_ref(identity) in refs for identity in part.identities()):
            found.update((object_ref(o), o) for o in part.objects() if object_ref(o) in refs)
    return found


def _steps(args):
    """The steps of the wave: those given, or one made of ``templates`` and ``objects``."""
    if args["steps"] and (args["templates"] or args["objects"]):
        raise AnsibleActionFail("apply_wave takes either steps, or templates and objects, not both")
    steps = args["steps"] or [{"templates": args["templates"], "objects": args["objects"]}]
    if not any(step["templates"] or step["objects"] for step in steps):
        raise AnsibleActionFail("apply_wave needs objects or templates")
    return steps


def _record_dir(directory):
    """Where this controller keeps its record of applied objects and memo of rendered
    templates; None when turned off (an empty string)."""
    if directory is None:
        directory = default_record_dir()
    return os.path.expanduser(directory) if directory else None


def _save(kept):
    if kept is None:
        return
    try:
        kept.save()
    except OSError as exc:  # a record that cannot be written only costs the next run its shortcut
        display.warning("could not write %s: %s" % (kept.path, exc))


def _previous_wave_ready(facts):
    """When the last wave of the run became ready: a wave's time runs from there, so it
    counts the wave's own preparation (API calls, steps that do not report)."""
    report = facts.get("dify_platform_wave_report") or []
    return report[-1].get("ready_at") if report else None


def _write_rendered(directory, wave, component, objects):
    """The wave's objects as one YAML file, Secrets left out, for review or for kubectl."""
    shown = [json.loads(json.dumps(o)) for o in objects if o.get("kind") != "Secret"]
    path = os.path.join(directory, "%+03d-%s.yml" % (wave, component))
    with open(path, "w") as out:
        yaml.safe_dump_all(shown, out, default_flow_style=False, sort_keys=False, explicit_start=True)


def _routes(applied):
    routes = []
    for r in applied:
        if r["kind"] == "Route":
            spec = (r["after"] or {}).get("spec") or {}
            routes.append({"name": r["name"], "namespace": r["namespace"], "host": spec.get("host", ""),
                           "tls": bool(spec.get("tls"))})
    return routes
