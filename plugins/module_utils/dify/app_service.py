# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apps as code: decide and do what a DSL asks for, honestly in check mode.

One service, used by dify_app, dify_app_export and dify_app_info. It never
calls fail_json; it raises the typed errors of exceptions.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.compare import (
    MAX_DIFFERENCES,
    differences,
    masked_pair,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.dsl import (
    COMPLETED_WITH_WARNINGS,
    FAILED,
    PENDING,
    WORKFLOW_MODES,
    YAMLError,
    safe_load,
    version_status,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import (
    AppLookupError,
    BatchError,
    ExportError,
    ImportFailedError,
    OverwriteNotAllowedError,
    PendingImportError,
    RecreateError,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.export_files import (
    app_file_name,
    dump_yaml,
    ensure_directory,
    short_id,
    slugify,
    stale_files,
    write_file,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.normalize import normalize
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, PlatformError, ValidationError

# What an import over an existing app cannot change (_create_or_update_app leaves it alone).
NOT_IMPORTABLE = ("app.use_icon_as_answer_icon",)
APP_FIELDS = (
    "id", "name", "mode", "description", "icon_type", "icon", "icon_background",
    "use_icon_as_answer_icon", "enable_site", "enable_api", "created_at", "updated_at",
)
DEFAULT_BACKUP_DIR = "~/.ansible/dify_app_backups"


def _label(app):
    return "%r (%s)" % (app.get("name"), app.get("id"))


def app_summary(app):
    return dict((key, app.get(key)) for key in APP_FIELDS if key in app)


class AppService:
    """What the Dify modules do, over a connected :class:`client.DifyClient`."""

    def __init__(self, client):
        self.client = client
        self.warnings = []
        self.server_dsl_version = None  # learnt from the first export (Dify writes its own version)

    # -- finding apps -----------------------------------------------------------------------
    def find(self, app_id=None, name=None, required=False):
        """The app with ``app_id``, else the one app named exactly ``name``; None when there is none."""
        if app_id:
            app = self.client.get_app(app_id)
            if app is None and required:
                raise AppLookupError("this workspace has no app with id %s" % app_id)
            return app
        # Dify's name filter is a case-insensitive substring match on the first 30 characters.
        matches = [a for a in self.client.list_apps(name=name[:30]) if a.get("name") == name]
        if len(matches) > 1:
            raise AppLookupError(
                "%d apps are named %r (ids %s); give app_id to say which one"
                % (len(matches), name, ", ".join(sorted(a.get("id") for a in matches)))
            )
        return matches[0] if matches else None

    def _export_data(self, app, include_secret):
        text = self.client.export_app(app["id"], include_secret=include_secret, label=_label(app))
        try:
            data = safe_load(text)
        except YAMLError as exc:
            raise ExportError("the export of app %s is not YAML: %s" % (_label(app), exc)) from exc
        if not isinstance(data, dict):
            raise ExportError("the export of app %s is not a DSL mapping" % _label(app))
        return text, data

    # -- importing --------------------------------------------------------------------------
    def _import(self, doc, allow_version_mismatch, app_id=None, name=None):
        response = self.client.import_dsl(doc.text, app_id=app_id, name=name)
        status = response.get("status")
        if status == PENDING:
            if not allow_version_mismatch:
                raise PendingImportError(
                    doc.source, response.get("imported_dsl_version") or doc.version,
                    response.get("current_dsl_version"),
                )
            pending = response
            response = self.client.confirm_import(pending.get("id"))
            response["confirmed_pending_import"] = True
            response.setdefault("imported_dsl_version", pending.get("imported_dsl_version"))
            status = response.get("status")
        if status == FAILED or not response.get("app_id"):
            raise ImportFailedError(doc.source, response.get("error"), response)
        return response

    def _import_warnings(self, response):
        warnings = list(response.get("warnings") or [])  # Dify 1.16 and later
        if response.get("status") == COMPLETED_WITH_WARNINGS and not warnings:
            warnings.append({
                "code": "older_dsl_version",
                "path": "version",
                "message": "DSL version %s is older than the %s this Dify speaks; Dify imported it anyway"
                % (response.get("imported_dsl_version"), response.get("current_dsl_version")),
                "details": {},
            })
        if response.get("confirmed_pending_import"):
            versions = (response.get("imported_dsl_version"), response.get("current_dsl_version"))
            warnings.append({
                "code": "confirmed_version_mismatch",
                "path": "version",
                "message": "DSL version %s needed a confirmation on a Dify that speaks %s; it was confirmed "
                "because allow_version_mismatch is true" % versions,
                "details": {},
            })
        return warnings

    def _backup_path(self, app, backup_dir):
        directory = os.path.expanduser(backup_dir or DEFAULT_BACKUP_DIR)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        return os.path.join(directory, "%s-%s-%s.yml" % (slugify(app.get("name")), short_id(app["id"]), stamp))

    def _backup(self, app, path):
        """Export ``app`` with its secrets to ``path`` (mode 0600)."""
        text = self.client.export_app(app["id"], include_secret=True, label=_label(app))
        try:
            ensure_directory(os.path.dirname(path))
            write_file(path, text, mode=0o600)
        except OSError as exc:
            raise RecreateError("could not write the backup of app %s to %s: %s; nothing was changed"
                                % (_label(app), path, exc)) from exc
        return path

    def plan(self, doc, existing, name=None, recreate=False, allow_version_mismatch=False, backup_dir=None):
        """Decide what ``doc`` needs, reading only. Returns a plan for :meth:`apply`.

        Raises the error the real run would meet (an app Dify cannot overwrite, a pending
        version that is not allowed) so that check mode tells the truth.
        """
        target = name or doc.name
        result = dict(
            changed=False, operation="none", app_id=None, name=target, mode=doc.mode,
            import_status=None, import_warnings=[], differences=[], backup_file=None,
            replaced_app_id=None, dsl_version=doc.version, server_dsl_version=None,
        )
        plan = dict(doc=doc, name=name, existing=existing, result=result, warnings=[],
                    allow_version_mismatch=allow_version_mismatch, backup_dir=backup_dir)
        if existing is None:
            result.update(changed=True, operation="create")
            plan["diff"] = self._diff(None, normalize(doc.data, name=name), "(no app named %r)" % target, doc.source)
            return plan

        keep_secret = bool(doc.secret_variable_names())
        _text, current_raw = self._export_data(existing, include_secret=keep_secret)
        self.server_dsl_version = current_raw.get("version") or self.server_dsl_version
        current = normalize(current_raw, keep_secret=keep_secret)
        desired = normalize(doc.data, current=current, keep_secret=keep_secret, name=name)
        found = differences(current, desired)
        server_mode = existing.get("mode") or current["app"]["mode"]
        result.update(
            app_id=existing["id"], mode=server_mode, server_dsl_version=current_raw.get("version"),
            differences=found[:MAX_DIFFERENCES],
        )
        plan["diff"] = self._diff(current, desired, "app %s on the server" % _label(existing), doc.source)
        if not found:
            return plan

        can_overwrite = server_mode in WORKFLOW_MODES and server_mode == doc.mode
        importable = [d for d in found if not d.startswith(NOT_IMPORTABLE)]
        if can_overwrite and importable:
            operation = "overwrite"
        elif recreate:
            operation = "recreate"
        elif can_overwrite:
            plan["warnings"].append(
                "app %s differs from %s only in %s, which a DSL import cannot change; nothing was changed. "
                "Set recreate: true to apply it." % (_label(existing), doc.source, ", ".join(found))
            )
            return plan
        else:
            raise OverwriteNotAllowedError(self._why_not_overwrite(existing, server_mode, doc, found))

        predicted = version_status(doc.version, current_raw.get("version") or doc.version)
        if predicted == PENDING and not allow_version_mismatch:
            raise PendingImportError(doc.source, doc.version, current_raw.get("version"))
        result.update(changed=True, operation=operation, import_status=predicted)
        if operation == "overwrite":
            plan["warnings"].extend(self._empty_secrets(doc, existing))
        if operation == "recreate":
            result["backup_file"] = self._backup_path(existing, backup_dir)
        return plan

    def apply(self, plan):
        """Carry out a plan made by :meth:`plan`; returns its result."""
        result, doc, existing = plan["result"], plan["doc"], plan["existing"]
        allow, name = plan["allow_version_mismatch"], plan["name"]
        operation = result["operation"]
        if operation == "create":
            self._apply(result, self._import(doc, allow, name=name))
        elif operation == "overwrite":
            self._apply(result, self._import(doc, allow, app_id=existing["id"], name=name))
        elif operation == "recreate":
            self._backup(existing, result["backup_file"])
            # Import first, delete second: if Dify refuses the new DSL, the old app is still there.
            try:
                response = self._import(doc, allow, name=name)
            except ApiError as exc:
                raise RecreateError("%s. The app %s was not deleted; its backup is %s"
                                    % (exc, _label(existing), result["backup_file"])) from exc
            self._apply(result, response)
            try:
                self.client.delete_app(existing["id"])
            except ApiError as exc:
                raise RecreateError(
                    "the DSL was imported as the new app %s, but the old app %s could not be deleted: %s. Two "
                    "apps are now named %r; delete the old one by hand. Its backup is %s"
                    % (response.get("app_id"), existing["id"], exc, result["name"], result["backup_file"])
                ) from exc
            result["replaced_app_id"] = existing["id"]
        return result

    def ensure_present(self, doc, app_id=None, name=None, recreate=False, allow_version_mismatch=False,
                       backup_dir=None, check_mode=False):
        """Make one app match ``doc``. Returns (result, diff)."""
        existing = self.find(app_id=app_id, name=name or doc.name, required=bool(app_id))
        plan = self.plan(doc, existing, name=name, recreate=recreate,
                         allow_version_mismatch=allow_version_mismatch, backup_dir=backup_dir)
        self.warnings.extend(plan["warnings"])
        if check_mode or not plan["result"]["changed"]:
            return plan["result"], plan["diff"]
        plan["result"]["import_status"] = None
        return self.apply(plan), plan["diff"]

    def ensure_present_many(self, docs, recreate=False, allow_version_mismatch=False, backup_dir=None,
                            check_mode=False, source=None):
        """Make every app match its DSL: plan them all, report every problem together, then apply.

        Returns (results, diffs); nothing is changed when any DSL cannot be applied.
        """
        by_name = {}
        for app in self.client.list_apps():
            by_name.setdefault(app.get("name"), []).append(app)
        claimed = {}
        plans, problems = [], []
        for doc in docs:
            try:
                if doc.name in claimed:
                    raise AppLookupError("declares app %r, as %s does" % (doc.name, claimed[doc.name]))
                claimed[doc.name] = doc.source
                matches = by_name.get(doc.name, [])
                if len(matches) > 1:
                    raise AppLookupError("%d apps are named %r (ids %s); import this file on its own with app_id"
                                         % (len(matches), doc.name, ", ".join(sorted(a["id"] for a in matches))))
                plans.append(self.plan(doc, matches[0] if matches else None, recreate=recreate,
                                       allow_version_mismatch=allow_version_mismatch, backup_dir=backup_dir))
            except PlatformError as exc:
                text = str(exc)
                problems.append(text if text.startswith(doc.source) else "%s: %s" % (doc.source, text))
        # A new app's import is pending when its DSL version needs confirmation; the server's
        # version is known once any existing app was exported above.
        server_version = self.server_dsl_version
        if server_version and not allow_version_mismatch:
            for plan in plans:
                doc = plan["doc"]
                if plan["result"]["operation"] == "create" and version_status(doc.version, server_version) == PENDING:
                    problems.append(str(PendingImportError(doc.source, doc.version, server_version)))
        if problems:
            raise BatchError("%d of %d DSL file(s)%s cannot be applied; nothing was changed:\n- %s"
                             % (len(problems), len(docs), " in %s" % source if source else "", "\n- ".join(problems)))
        for plan in plans:
            self.warnings.extend(plan["warnings"])
        results = []
        for plan in plans:
            plan["result"]["src"] = plan["doc"].source
            if not check_mode and plan["result"]["changed"]:
                plan["result"]["import_status"] = None
                try:
                    self.apply(plan)
                except PlatformError as exc:
                    done = ["%s (%s)" % (r["src"], r["operation"]) for r in results if r["changed"]]
                    raise BatchError("%s: %s. Applied before it: %s; not tried after it: %d file(s)"
                                     % (plan["doc"].source, exc, ", ".join(done) or "none",
                                        len(plans) - len(results) - 1)) from exc
            results.append(plan["result"])
        return results, [plan["diff"] for plan in plans if plan["result"]["changed"]]

    def _apply(self, result, response):
        result.update(
            app_id=response.get("app_id"),
            mode=response.get("app_mode") or result["mode"],
            import_status=response.get("status"),
            import_warnings=self._import_warnings(response),
            server_dsl_version=response.get("current_dsl_version") or result["server_dsl_version"],
        )

    @staticmethod
    def _empty_secrets(doc, existing):
        workflow = doc.data.get("workflow") or {}
        empty = [v.get("name") for v in workflow.get("environment_variables") or []
                 if isinstance(v, dict) and v.get("value_type") == "secret" and v.get("value") in (None, "")]
        if not empty:
            return []
        return ["%s has no value for the secret environment variable(s) %s; the import over app %s sets "
                "them empty. Export with include_secret to keep them." % (doc.source, ", ".join(empty), _label(existing))]

    @staticmethod
    def _why_not_overwrite(existing, server_mode, doc, found):
        shown = ", ".join(found[:10]) + (" ..." if len(found) > 10 else "")
        if server_mode != doc.mode:
            return (
                "app %s is a %s app on the server but %s declares mode %s; Dify cannot change the mode of an "
                "app in place. Set recreate: true to back the app up, import the DSL as a new app and delete "
                "the old one (its API keys, logs and conversations go with it)." % (_label(existing), server_mode, doc.source, doc.mode)
            )
        return (
            "app %s (mode %s) differs from %s at: %s. Dify overwrites only workflow and advanced-chat apps in "
            "place. Set recreate: true to back the app up, import the DSL as a new app and delete the old one "
            "(its API keys, logs and conversations go with it)." % (_label(existing), server_mode, doc.source, shown)
        )

    @staticmethod
    def _diff(before, after, before_header, after_header):
        before, after = masked_pair(before, after)
        return {
            "before": dump_yaml(before) if before is not None else "",
            "after": dump_yaml(after) if after is not None else "",
            "before_header": before_header,
            "after_header": after_header,
        }

    def ensure_absent(self, app_id=None, name=None, backup_dir=None, check_mode=False):
        existing = self.find(app_id=app_id, name=name)
        result = dict(changed=False, operation="none", app_id=app_id, name=name, mode=None, backup_file=None)
        if existing is None:
            return result, {"before": "", "after": ""}
        result.update(changed=True, operation="delete", app_id=existing["id"], name=existing.get("name"),
                      mode=existing.get("mode"))
        diff = {"before": "app %s (mode %s)\n" % (_label(existing), existing.get("mode")), "after": ""}
        if backup_dir:
            result["backup_file"] = self._backup_path(existing, backup_dir)
        if not check_mode:
            if backup_dir:
                self._backup(existing, result["backup_file"])
            self.client.delete_app(existing["id"])
        return result, diff

    # -- listing and exporting --------------------------------------------------------------
    def list_apps(self, names=None, name_contains=None, modes=None, app_ids=None):
        """Apps that pass every filter given, sorted by name and id."""
        mode = modes[0] if modes and len(modes) == 1 else None
        query_name = name_contains or (names[0] if names and len(names) == 1 else None)
        apps = self.client.list_apps(mode=mode, name=query_name[:30] if query_name else None)
        selected = []
        for app in apps:
            if names and app.get("name") not in names:
                continue
            if name_contains and name_contains.lower() not in (app.get("name") or "").lower():
                continue
            if modes and app.get("mode") not in modes:
                continue
            if app_ids and app.get("id") not in app_ids:
                continue
            selected.append(app)
        selected.sort(key=lambda a: (a.get("name") or "", a.get("id") or ""))
        return selected

    def export_apps(self, dest, names=None, modes=None, app_ids=None, include_secret=False, prune=False,
                    check_mode=False):
        if prune and (names or modes or app_ids):
            raise ValidationError("prune removes the files of apps that were not exported, so it cannot be "
                                  "combined with names, modes or app_ids")
        apps = self.list_apps(names=names, modes=modes, app_ids=app_ids)
        missing = sorted(set(names or []) - set(a.get("name") for a in apps))
        missing += sorted(set(app_ids or []) - set(a.get("id") for a in apps))
        if missing:
            raise AppLookupError("no app matches %s in this workspace (with the other filters given); nothing "
                                 "was written" % ", ".join(repr(m) for m in missing))

        # Export everything first: a failure half-way writes nothing.
        planned = []
        seen = {}
        for app in apps:
            _text, data = self._export_data(app, include_secret=include_secret)
            file_name = app_file_name(app.get("name"), app["id"])
            if file_name in seen:
                raise ExportError("apps %s and %s would both be written to %s; rename one of them"
                                  % (_label(seen[file_name]), _label(app), file_name))
            seen[file_name] = app
            planned.append((file_name, dump_yaml(data), app))

        mode = 0o600 if include_secret else 0o644
        created = ensure_directory(dest, check_mode)
        changed = created
        files = []
        for file_name, content, app in planned:
            path = os.path.join(dest, file_name)
            # In check mode a directory that does not exist yet holds no file to compare with.
            written = True if created and check_mode else write_file(path, content, mode=mode, check_mode=check_mode)
            files.append(dict(path=path, app_id=app["id"], name=app.get("name"), mode=app.get("mode"),
                              changed=bool(written)))
            changed = changed or bool(written)
        removed = []
        if prune:
            removed = stale_files(dest, set(f for f, _c, _a in planned))
            if not check_mode:
                for path in removed:
                    os.unlink(path)
            changed = changed or bool(removed)
        return dict(changed=changed, dest=dest, files=files, removed_files=removed,
                    changed_files=[f["path"] for f in files if f["changed"]])
