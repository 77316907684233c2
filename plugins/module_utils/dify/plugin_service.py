# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dify_plugin's work: read what is installed, plan, apply. The plan is data, so check mode,
diff and the summary come from it without a write.

A plugin is known by its plugin_id (``author/name``); a package is installed when a plugin
with its plugin_id and version is. A different installed version is replaced only when the
task allows it (``replace``): the daemon refuses a second installation of a plugin_id
(``ErrPluginAlreadyInstalled``, dify-plugin-daemon internal/service/install_plugin.go), so a
replacement is an uninstall followed by an install, and the daemon drops the endpoints set up
for the old installation.

Order of the writes: every package is uploaded first, so a package the daemon refuses (a
bad signature) stops the run before anything is uninstalled; then the replaced installations
are removed, then one install task installs every package, polled until it ends.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_api import InstallTaskError
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_package import PackageError, split_identifier
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ValidationError

TASK_DONE = ("success", "failed")
MAX_IDENTIFIERS = 64  # the daemon's limit per install request (InstallPluginFromIdentifiers: max=64)


class PluginApplyError(ApiError):
    """A write failed part-way; ``done`` lists the actions that were completed before it."""

    def __init__(self, message, done):
        self.done = done
        super(PluginApplyError, self).__init__(message)


def installed_view(entity):
    """What the module reports of one installed plugin (Dify's PluginEntity)."""
    declaration = entity.get("declaration") or {}
    plugin_id = entity.get("plugin_id") or split_identifier(entity.get("plugin_unique_identifier"))[0]
    return {
        "plugin_id": plugin_id,
        "version": entity.get("version") or declaration.get("version"),
        "unique_identifier": entity.get("plugin_unique_identifier"),
        "installation_id": entity.get("installation_id"),
        "source": entity.get("source"),
        "category": declaration.get("category"),
        "verified": declaration.get("verified"),
    }


def read_current(api):
    """plugin_id -> installed view."""
    current = {}
    for entity in api.list_installed():
        view = installed_view(entity)
        current[view["plugin_id"]] = view
    return current


class Action:
    def __init__(self, kind, plugin_id, from_version=None, to_version=None, package=None, installation_id=None):
        self.kind = kind  # install, replace or uninstall
        self.plugin_id = plugin_id
        self.from_version = from_version
        self.to_version = to_version
        self.package = package
        self.installation_id = installation_id

    def as_dict(self):
        out = {"action": self.kind, "plugin_id": self.plugin_id, "from_version": self.from_version,
               "to_version": self.to_version}
        if self.package is not None:
            out["unique_identifier"] = self.package.unique_identifier
            out["path"] = self.package.path
        return out


class Plan:
    def __init__(self, current):
        self.current = current
        self.actions = []
        self.unchanged = []
        self.warnings = []

    @property
    def changed(self):
        return bool(self.actions)

    def after(self):
        """plugin_id -> version once the plan is applied."""
        state = dict((plugin_id, view["version"]) for plugin_id, view in self.current.items())
        for action in self.actions:
            if action.kind == "uninstall":
                state.pop(action.plugin_id, None)
            else:
                state[action.plugin_id] = action.to_version
        return state

    def diff(self):
        before = dict((plugin_id, view["version"]) for plugin_id, view in self.current.items())
        return {"before": {"plugins": before}, "after": {"plugins": self.after()}}

    def summary(self):
        counts = {"install": 0, "replace": 0, "uninstall": 0}
        for action in self.actions:
            counts[action.kind] += 1
        counts["unchanged"] = len(self.unchanged)
        return counts


def check_packages(packages, verify_keys=None):
    """Refuse, before any request, what the daemon must refuse: signatures stay on."""
    seen = {}
    for package in packages:
        if package.plugin_id in seen:
            raise ValidationError("%s and %s are both %s: give one package per plugin"
                                  % (seen[package.plugin_id], package.path, package.plugin_id))
        seen[package.plugin_id] = package.path
        if not package.signed:
            raise PackageError(
                "%s (%s %s) is not signed. Signature verification stays on: sign it with the operator's key "
                "(the mirror role's mirror_bundle_dify_plugin_signing_key does) and have the plugin daemon trust "
                "the public key (THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS)."
                % (package.path, package.plugin_id, package.version))
        if package.lock_only:
            raise PackageError(
                "%s has a uv.lock and no requirements.txt: the plugin daemon would run `uv sync --frozen` against the "
                "lock's public index URLs, which an air gap refuses. Export requirements.txt (uv export --frozen "
                "--format requirements.txt --no-hashes), package and sign it again (the mirror role refuses it too)."
                % package.path)
        if verify_keys:
            package.verify(verify_keys)


def plan_present(packages, current, replace=False):
    plan = Plan(current)
    for package in packages:
        installed = current.get(package.plugin_id)
        if installed is None:
            plan.actions.append(Action("install", package.plugin_id, to_version=package.version, package=package))
        elif installed["version"] == package.version:
            plan.unchanged.append(package.plugin_id)
            identifier = installed.get("unique_identifier")
            if identifier and split_identifier(identifier)[2] not in (None, package.checksum):
                plan.warnings.append(
                    "%s %s is installed from a package with other content than %s (installed %s, this file %s); "
                    "a version is installed once: publish a new version to change it"
                    % (package.plugin_id, package.version, package.path, identifier, package.unique_identifier))
        elif replace:
            plan.actions.append(Action("replace", package.plugin_id, from_version=installed["version"],
                                       to_version=package.version, package=package,
                                       installation_id=installed["installation_id"]))
        else:
            raise ValidationError(
                "%s is installed at version %s and %s holds version %s. Nothing was changed. Set replace: true to "
                "uninstall %s and install %s (the daemon drops the endpoints set up for the old installation)."
                % (package.plugin_id, installed["version"], package.path, package.version, installed["version"],
                   package.version))
    return plan


def plan_absent(plugin_ids, current):
    plan = Plan(current)
    for plugin_id in plugin_ids:
        installed = current.get(plugin_id)
        if installed is None:
            plan.unchanged.append(plugin_id)
        else:
            plan.actions.append(Action("uninstall", plugin_id, from_version=installed["version"],
                                       installation_id=installed["installation_id"]))
    return plan


def _task_failure(task):
    failed = ["%s: %s" % (item.get("plugin_unique_identifier") or item.get("plugin_id"), item.get("message") or "failed")
              for item in task.get("plugins") or [] if item.get("status") == "failed"]
    return "; ".join(failed) or "no message"


def wait_for_task(api, task_id, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic):
    """Poll the install task until it succeeds; raise InstallTaskError when it fails or times out."""
    deadline = clock() + timeout
    while True:
        task = api.task(task_id)
        status = task.get("status")
        if status == "success":
            return task
        if status == "failed":
            raise InstallTaskError(
                "the plugin daemon's install task %s failed: %s. A Python dependency that cannot be installed is "
                "the usual cause behind an air gap: check the daemon's PIP_MIRROR_URL (the in-cluster index of the "
                "bundle's wheels) and its log." % (task_id, _task_failure(task)), task)
        if clock() >= deadline:
            raise InstallTaskError(
                "the plugin daemon's install task %s was still %s after %d s (install_timeout); it goes on in the "
                "daemon: run the task again later, it finds what got installed" % (task_id, status, timeout), task)
        sleep(poll_interval)


def apply_plan(plan, api, timeout=900, poll_interval=3, sleep=time.sleep, clock=time.monotonic):
    """Do the plan's writes; return (done actions, warnings)."""
    done = []
    warnings = []
    installs = [a for a in plan.actions if a.kind in ("install", "replace")]
    uploaded = []
    try:
        for action in installs:
            answer = api.upload(action.package)
            identifier = answer.get("unique_identifier") or action.package.unique_identifier
            if identifier != action.package.unique_identifier:
                warnings.append("Dify names %s %s, this module computed %s; Dify's name is used"
                                % (action.package.path, identifier, action.package.unique_identifier))
            uploaded.append(identifier)
        for action in plan.actions:
            if action.kind in ("replace", "uninstall"):
                api.uninstall(action.installation_id)
                # A replacement's uninstall is reported on its own until the install succeeds.
                done.append(action.as_dict() if action.kind == "uninstall" else
                            Action("uninstall", action.plugin_id, from_version=action.from_version).as_dict())
        for start in range(0, len(uploaded), MAX_IDENTIFIERS):
            batch = uploaded[start:start + MAX_IDENTIFIERS]
            answer = api.install(batch)
            if not answer.get("all_installed"):
                if not answer.get("task_id"):
                    raise InstallTaskError("Dify started no install task for %s and did not report them installed"
                                           % ", ".join(batch))
                wait_for_task(api, answer["task_id"], timeout, poll_interval, sleep=sleep, clock=clock)
            done.extend(a.as_dict() for a in installs[start:start + MAX_IDENTIFIERS])
    except ApiError as exc:
        if isinstance(exc, PluginApplyError):
            raise
        raise PluginApplyError(
            "%s (done before it: %s)" % (exc, ", ".join("%s %s" % (d["action"], d["plugin_id"]) for d in done) or "nothing"),
            done) from exc
    return done, warnings


def confirm(plan, final):
    """After the writes, what Dify lists must be what the plan promised."""
    expected = plan.after()
    wrong = []
    for action in plan.actions:
        installed = final.get(action.plugin_id)
        want = expected.get(action.plugin_id)
        have = installed["version"] if installed else None
        if have != want:
            wrong.append("%s: expected %s, Dify lists %s" % (action.plugin_id, want or "absent", have or "absent"))
    if wrong:
        raise ApiError("after the changes Dify's plugin list disagrees: %s" % "; ".join(wrong))
