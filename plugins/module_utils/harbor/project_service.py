# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor projects: ensure present (with the declared metadata) or absent, with check mode and a true diff.

A no-op costs one request (GET the project by name). After a write the project
is read back; if Harbor did not take a declared value, the task fails rather
than report a change that did not happen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.compare import (
    current_project_metadata,
    metadata_changes,
)

PROJECT_FIELDS = ("project_id", "name", "owner_name", "repo_count", "creation_time", "update_time", "metadata")


def project_view(project):
    if not project:
        return {}
    view = dict((k, project.get(k)) for k in PROJECT_FIELDS if k in project)
    view["metadata"] = current_project_metadata(project)
    return view


class ProjectService:
    """The projects of one Harbor."""

    def __init__(self, client):
        self.client = client

    def ensure(self, name, metadata, state="present", check_mode=False):
        current = self.client.get_project(name)
        if state == "absent":
            return self._absent(name, current, check_mode)
        if current is None:
            return self._create(name, metadata, check_mode)
        keys, before, after = metadata_changes(metadata, current_project_metadata(current))
        result = _result(name, current, changed=bool(keys), changes=keys,
                         diff={"before": {"metadata": before}, "after": {"metadata": after}})
        if not keys:
            result["msg"] = "Project %s is up to date." % name
            return result
        if check_mode:
            result["msg"] = "Project %s would be updated (%s)." % (name, ", ".join(keys))
            return result
        self.client.update_project(name, {"metadata": dict((k, metadata[k]) for k in keys)})
        result["project"] = project_view(self._verified(name, metadata))
        result["msg"] = "Project %s updated (%s)." % (name, ", ".join(keys))
        return result

    def _create(self, name, metadata, check_mode):
        after = {"name": name, "metadata": current_project_metadata({"metadata": metadata})}
        diff = {"before": {}, "after": after}
        if check_mode:
            return _result(name, None, changed=True, changes=["project"], diff=diff,
                           msg="Project %s would be created." % name)
        self.client.create_project({"project_name": name, "metadata": metadata})
        end_state = self._verified(name, metadata)
        return _result(name, end_state, changed=True, changes=["project"], diff=diff,
                       msg="Project %s created." % name)

    def _absent(self, name, current, check_mode):
        if current is None:
            return _result(name, None, changed=False, changes=[], diff={"before": {}, "after": {}},
                           msg="Project %s does not exist." % name)
        if not check_mode:
            self.client.delete_project(name)
        return _result(name, current if check_mode else None, changed=True, changes=["project"],
                       diff={"before": project_view(current), "after": {}},
                       msg="Project %s %s." % (name, "would be deleted" if check_mode else "deleted"))

    def _verified(self, name, metadata):
        end_state = self.client.get_project(name)
        if end_state is None:
            raise ApiError("project %s is missing right after it was written" % name)
        left, before, after = metadata_changes(metadata, current_project_metadata(end_state))
        if left:
            raise ApiError("Harbor accepted the write to project %s but holds %r instead of %r" % (name, before, after))
        return end_state


def _result(name, project, changed, changes, diff, msg=""):
    return {
        "changed": changed,
        "changes": changes,
        "name": name,
        "project_id": (project or {}).get("project_id"),
        "project": project_view(project),
        "diff": diff,
        "msg": msg,
    }
