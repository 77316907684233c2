# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ensure apps trace to Langfuse: read every app first, then write only what differs.

Used by dify_app_tracing. It never calls fail_json; it raises the typed errors of exceptions.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import (
    AppLookupError,
    BatchError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.tracing import (
    KEYS,
    PROVIDER,
    current_state,
    diff_pair,
    plan_absent,
    plan_present,
    scrub,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError


def _label(app):
    return "%r (%s)" % (app.get("name"), app.get("id"))


class TracingService:
    """Per-app tracing over a :class:`client.DifyClient`."""

    def __init__(self, client):
        self.client = client

    def select_apps(self, names=None, app_ids=None):
        """The apps named (exactly) or given by id, in the order given; every one missing is reported at once."""
        apps = self.client.list_apps()
        by_id = dict((a.get("id"), a) for a in apps)
        selected, problems = [], []
        for app_id in app_ids or []:
            if app_id in by_id:
                selected.append(by_id[app_id])
            else:
                problems.append("no app has id %s" % app_id)
        for name in names or []:
            matches = [a for a in apps if a.get("name") == name]
            if len(matches) > 1:
                problems.append("%d apps are named %r (ids %s); give app_ids instead"
                                % (len(matches), name, ", ".join(sorted(a.get("id") for a in matches))))
            elif not matches:
                problems.append("no app is named %r" % name)
            else:
                selected.append(matches[0])
        if problems:
            raise AppLookupError("nothing was changed: %s" % "; ".join(problems))
        unique = []
        for app in selected:
            if app.get("id") not in [u.get("id") for u in unique]:
                unique.append(app)
        return unique

    def plan(self, app, desired=None, enabled=True, state="present", update_keys="on_change"):
        current = current_state(self.client.get_app_trace(app["id"]), self.client.get_trace_config(app["id"], PROVIDER))
        if state == "present":
            config_op, switch, differences = plan_present(current, desired, enabled, update_keys)
        else:
            config_op, switch, differences = plan_absent(current)
        before, after = diff_pair(current, config_op, switch, differences, desired)
        # In the order apply() sends them: a config before the switch that uses it, a switch off
        # before the config it used is deleted.
        operations = ["%s_config" % config_op] if config_op else []
        if switch:
            operations.insert(len(operations) if config_op != "delete" else 0,
                              "enable" if switch["enabled"] else "disable")
        result = dict(app_id=app["id"], name=app.get("name"), changed=bool(operations), operations=operations,
                      differences=differences, enabled=after["enabled"], tracing_provider=after["tracing_provider"])
        diff = {"before": before, "after": after, "before_header": "app %s" % _label(app),
                "after_header": "app %s" % _label(app)}
        return dict(app=app, result=result, diff=diff, config_op=config_op, switch=switch, desired=desired)

    def apply(self, plan):
        app_id, desired = plan["app"]["id"], plan["desired"]
        if plan["config_op"] == "create":
            self.client.create_trace_config(app_id, PROVIDER, desired)
        elif plan["config_op"] == "update":
            self.client.update_trace_config(app_id, PROVIDER, desired)
        if plan["switch"]:
            self.client.set_app_trace(app_id, plan["switch"]["enabled"], plan["switch"]["tracing_provider"])
        if plan["config_op"] == "delete":
            self.client.delete_trace_config(app_id, PROVIDER)

    def ensure(self, names=None, app_ids=None, desired=None, enabled=True, state="present",
               update_keys="on_change", check_mode=False):
        """Returns (results, diffs). Writes only for the apps that differ, none in check mode."""
        secrets = [desired[k] for k in KEYS] if desired else []
        try:
            apps = self.select_apps(names=names, app_ids=app_ids)
            plans = [self.plan(app, desired, enabled, state, update_keys) for app in apps]
            done = []
            for plan in plans:
                if check_mode or not plan["result"]["changed"]:
                    continue
                try:
                    self.apply(plan)
                except PlatformError as exc:
                    raise BatchError(
                        "app %s: %s. Applied before it: %s; not tried after it: %d app(s)"
                        % (_label(plan["app"]), exc, ", ".join(done) or "none",
                           len([p for p in plans if p["result"]["changed"]]) - len(done) - 1)
                    ) from exc
                done.append(_label(plan["app"]))
        except PlatformError as exc:
            # Dify may quote a refused config in its message; the keys never leave this module.
            exc.args = (scrub(str(exc), secrets),)
            raise
        return [p["result"] for p in plans], [p["diff"] for p in plans if p["result"]["changed"]]
