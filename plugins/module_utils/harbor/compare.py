# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure compare and normalise logic for Harbor projects and robot accounts.

Only what the user declared is compared, in Harbor's canonical form: project
metadata values are the strings "true"/"false" (``ProjectMetadata``), and a
robot's permissions are compared as a set of (kind, namespace, resource,
action) whatever their order or grouping. Nothing here sends a request.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

# ProjectMetadata fields whose values are "true"/"false", with the module option for each.
BOOL_METADATA = {
    "public": "public",
    "auto_scan": "auto_scan",
    "prevent_vul": "prevent_vulnerable",
    "enable_content_trust": "content_trust",
    "reuse_sys_cve_allowlist": "reuse_sys_cve_allowlist",
}
SEVERITIES = ("none", "low", "medium", "high", "critical")
DEFAULT_RESOURCE = "repository"
ROBOT_PREFIX = "robot$"


def bool_string(value):
    return "true" if value else "false"


def desired_project_metadata(params):
    """The ``ProjectMetadata`` the user declared (only the options that are set)."""
    metadata = {}
    for key, option in BOOL_METADATA.items():
        if params.get(option) is not None:
            metadata[key] = bool_string(params[option])
    severity = params.get("severity")
    if severity is not None:
        if severity not in SEVERITIES:
            raise ValidationError("severity must be one of %s" % ", ".join(SEVERITIES))
        metadata["severity"] = severity
    return metadata


def current_project_metadata(project):
    """The project's metadata in canonical form (Harbor omits unset keys; public defaults to false)."""
    metadata = dict((project or {}).get("metadata") or {})
    metadata.setdefault("public", "false")
    for key in BOOL_METADATA:
        if key in metadata and isinstance(metadata[key], bool):
            metadata[key] = bool_string(metadata[key])
    return metadata


def metadata_changes(desired, current):
    """(changed keys, before, after) over the declared keys only."""
    keys = sorted(k for k in desired if current.get(k) != desired[k])
    before = dict((k, current.get(k)) for k in keys)
    after = dict((k, desired[k]) for k in keys)
    return keys, before, after


def parse_access(item):
    """``"pull"`` -> (repository, pull); ``"artifact:read"`` -> (artifact, read)."""
    if not isinstance(item, str) or not item or item.count(":") > 1:
        raise ValidationError("access %r must be ACTION or RESOURCE:ACTION, for example pull or repository:push" % (item,))
    if ":" in item:
        resource, action = item.split(":", 1)
    else:
        resource, action = DEFAULT_RESOURCE, item
    if not resource or not action:
        raise ValidationError("access %r must be ACTION or RESOURCE:ACTION" % (item,))
    return resource, action


def desired_permissions(permissions, level):
    """Module ``permissions`` -> Harbor ``RobotPermission`` list, canonical order."""
    if not permissions:
        raise ValidationError("permissions must list at least one project and its access")
    result = []
    seen = set()
    for perm in permissions:
        project = perm.get("project")
        kind = perm.get("kind") or "project"
        if kind == "project" and not project:
            raise ValidationError("every permission needs a project (or * for all projects)")
        namespace = project if kind == "project" else "/"
        if (kind, namespace) in seen:
            raise ValidationError("project %s is listed twice in permissions; merge its access" % namespace)
        seen.add((kind, namespace))
        access = sorted(set(parse_access(a) for a in perm.get("access") or []))
        if not access:
            raise ValidationError("permission for %s has no access" % namespace)
        result.append({"kind": kind, "namespace": namespace,
                       "access": [{"resource": r, "action": a, "effect": "allow"} for r, a in access]})
    if level == "project" and (len(result) != 1 or result[0]["kind"] != "project" or result[0]["namespace"] == "*"):
        raise ValidationError("a project-level robot has access to exactly one project; use level system for several")
    return sorted(result, key=lambda p: (p["kind"], p["namespace"]))


def permission_set(permissions):
    """Permissions as a comparable set of (kind, namespace, resource, action, effect)."""
    result = set()
    for perm in permissions or []:
        for access in perm.get("access") or []:
            result.add((perm.get("kind"), perm.get("namespace"), access.get("resource"), access.get("action"),
                        access.get("effect") or "allow"))
    return result


def display_permissions(permissions):
    """Compact, sorted, readable form for diffs: {project: [resource:action, ...]}."""
    result = {}
    for kind, namespace, resource, action, effect in sorted(permission_set(permissions)):
        key = namespace if kind == "project" else "%s:%s" % (kind, namespace)
        label = "%s:%s" % (resource, action) + ("" if effect == "allow" else " (%s)" % effect)
        result.setdefault(key, []).append(label)
    return result


def stored_robot_name(name, level, permissions):
    """The name Harbor stores (and ``q=name=`` matches): ``name`` or ``<project>+<name>``."""
    if level == "project":
        return "%s+%s" % (permissions[0]["namespace"], name)
    return name


def robot_view(robot):
    """The fields of a ``Robot`` the module compares and returns (never a secret)."""
    return {
        "id": robot.get("id"),
        "name": robot.get("name"),
        "level": robot.get("level"),
        "description": robot.get("description") or "",
        "duration": robot.get("duration"),
        "disable": bool(robot.get("disable")),
        "expires_at": robot.get("expires_at"),
        "permissions": display_permissions(robot.get("permissions")),
    }


def robot_changes(desired, current):
    """(changed fields, before, after) between declared robot fields and the robot Harbor holds."""
    keys = []
    before, after = {}, {}
    for key in ("description", "duration", "disable"):
        if key in desired and desired[key] != current.get(key):
            keys.append(key)
            before[key], after[key] = current.get(key), desired[key]
    if permission_set(desired["permissions"]) != permission_set(current.get("permissions")):
        keys.append("permissions")
        before["permissions"] = display_permissions(current.get("permissions"))
        after["permissions"] = display_permissions(desired["permissions"])
    return keys, before, after
