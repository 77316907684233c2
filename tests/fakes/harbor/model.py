"""The state of the fake Harbor: projects, robot accounts, users, and their rules.

Written from Harbor's published API description, goharbor/harbor
``api/v2.0/swagger.yaml`` (read at commit 00184b0a59406c6243116e2c18022c5f53cdb1fb):

* ``ProjectReq`` (project_name, public, metadata, storage_limit, ...) and
  ``Project`` (project_id, name, owner_name, metadata, repo_count, ...);
  ``ProjectMetadata`` values are the strings "true"/"false" (public,
  auto_scan, enable_content_trust, prevent_vul, reuse_sys_cve_allowlist),
  ``severity`` one of none/low/medium/high/critical;
* ``RobotCreate`` (name, description, secret, level, disable, duration,
  permissions), ``RobotCreated`` (id, name, secret, creation_time,
  expires_at), ``Robot`` (no secret on reads), ``RobotSec``,
  ``RobotPermission`` (kind, namespace, access) and ``Access`` (resource,
  action, effect);
* errors as ``{"errors": [{"code": ..., "message": ...}]}``.

Rules the swagger leaves to the server follow Harbor's behaviour: project
names match ``^[a-z0-9]+(?:[._-][a-z0-9]+)*$``; robot names get the
``robot$`` prefix (and ``<project>+`` for project-level robots) on reads but
are stored and queried (``q=name=...``) without it; a robot secret is 8-128
characters with a lowercase letter, an uppercase letter and a digit; a
project-level robot covers exactly one project; duration is -1 (never
expires) or a number of days; the name and level of a robot cannot change.
"""

import datetime
import re
import secrets
import string
import threading

PROJECT_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
ROBOT_NAME_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
BOOL_METADATA = ("public", "auto_scan", "enable_content_trust", "prevent_vul", "reuse_sys_cve_allowlist")
SEVERITIES = ("none", "low", "medium", "high", "critical")
ROBOT_PREFIX = "robot$"
PROJECT_RESOURCES = {"repository": ("pull", "push", "delete"), "artifact": ("read", "list", "delete"),
                     "tag": ("create", "delete", "list"), "artifact-label": ("create", "delete"),
                     "scan": ("create", "read", "stop"), "helm-chart": ("read",), "project": ("read",)}


class HarborError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self):
        return {"errors": [{"code": self.code, "message": self.message}]}


def bad_request(message):
    return HarborError(400, "BAD_REQUEST", message)


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def valid_secret(secret):
    return (isinstance(secret, str) and 8 <= len(secret) <= 128 and any(c.islower() for c in secret)
            and any(c.isupper() for c in secret) and any(c.isdigit() for c in secret))


def generate_secret():
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _index in range(32))
        if valid_secret(value):
            return value


class Harbor:
    """Projects, robots and the admin user, behind one lock."""

    def __init__(self, admin_password):
        self.lock = threading.RLock()
        self.users = {"admin": {"password": admin_password, "admin": True}}
        self.projects = {}
        self.robots = {}
        self._ids = {"project": 1, "robot": 0, "allowlist": 1}
        # Harbor ships with the public "library" project (project_id 1).
        self._add_project("library", {"public": "true"})

    def _next(self, kind):
        self._ids[kind] += 1
        return self._ids[kind]

    # -- users and robots as principals -----------------------------------------------------
    def authenticate(self, username, password):
        """The principal for Basic credentials, or None."""
        with self.lock:
            user = self.users.get(username)
            if user is not None:
                return {"kind": "user", "name": username, "admin": user["admin"]} if password == user["password"] else None
            for robot in self.robots.values():
                if self.robot_name(robot) == username:
                    if robot["secret"] != password or robot["disable"] or self._expired(robot):
                        return None
                    return {"kind": "robot", "name": username, "admin": False, "robot": robot}
            return None

    def allowed(self, principal, project, action, resource="repository"):
        """Whether ``principal`` may do ``resource:action`` in ``project`` (which must exist)."""
        if principal is None:
            return action == "pull" and resource == "repository" and self.projects[project]["metadata"].get("public") == "true"
        if principal["admin"]:
            return True
        if principal["kind"] == "robot":
            for perm in principal["robot"]["permissions"]:
                if perm["kind"] == "project" and perm["namespace"] in (project, "*"):
                    for access in perm["access"]:
                        if access["resource"] == resource and access["action"] == action and access.get("effect", "allow") != "deny":
                            return True
        return False

    # -- projects ---------------------------------------------------------------------------
    def _add_project(self, name, metadata):
        project_id = self._ids["project"] if not self.projects else self._next("project")
        stamp = now()
        meta = {"public": "false"}
        meta.update(metadata)
        self.projects[name] = {
            "project_id": project_id, "owner_id": 1, "owner_name": "admin", "name": name,
            "creation_time": stamp, "update_time": stamp, "deleted": False, "togglable": True,
            "current_user_role_id": 1, "current_user_role_ids": [1], "registry_id": 0,
            "repositories": set(), "metadata": meta,
            "cve_allowlist": {"id": self._next("allowlist"), "project_id": project_id, "items": [],
                              "creation_time": stamp, "update_time": stamp},
        }
        return self.projects[name]

    def project_view(self, project):
        view = {k: v for k, v in project.items() if k != "repositories"}
        view["metadata"] = dict(project["metadata"])
        view["repo_count"] = len(project["repositories"])
        view["chart_count"] = 0
        return view

    def find_project(self, name_or_id, is_name):
        with self.lock:
            if not is_name and str(name_or_id).isdigit():
                for project in self.projects.values():
                    if project["project_id"] == int(name_or_id):
                        return project
                raise HarborError(404, "NOT_FOUND", "project %s not found" % name_or_id)
            project = self.projects.get(name_or_id)
            if project is None:
                raise HarborError(404, "NOT_FOUND", "project %s not found" % name_or_id)
            return project

    @staticmethod
    def _metadata(req):
        metadata = req.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise bad_request("metadata must be an object")
        result = {}
        for key, value in metadata.items():
            if key in BOOL_METADATA:
                if value not in ("true", "false"):
                    raise bad_request("invalid metadata %s: %r, must be \"true\" or \"false\"" % (key, value))
                result[key] = value
            elif key == "severity":
                if value not in SEVERITIES:
                    raise bad_request("invalid severity %r" % (value,))
                result[key] = value
            elif key == "retention_id":
                result[key] = str(value)
            else:
                raise bad_request("unknown metadata %r" % (key,))
        if req.get("public") is not None:
            result["public"] = "true" if req["public"] else "false"
        return result

    def create_project(self, principal, req):
        if principal is None:
            raise HarborError(401, "UNAUTHORIZED", "UnAuthorized")
        if not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "Only system admin can create project")
        name = req.get("project_name")
        if not isinstance(name, str) or not name or len(name) > 255 or not PROJECT_NAME_RE.match(name):
            raise bad_request("project name is not in lower case or contains illegal characters")
        with self.lock:
            if name in self.projects:
                raise HarborError(409, "CONFLICT", "The project named %s already exists" % name)
            return self._add_project(name, self._metadata(req))

    def update_project(self, principal, project, req):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        with self.lock:
            project["metadata"].update(self._metadata(req))
            project["update_time"] = now()

    def delete_project(self, principal, project):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        with self.lock:
            if project["repositories"]:
                raise HarborError(412, "PRECONDITION", "the project contains repositories, can not be deleted")
            del self.projects[project["name"]]

    # -- robots -----------------------------------------------------------------------------
    @staticmethod
    def robot_name(robot):
        return ROBOT_PREFIX + robot["name"]

    @staticmethod
    def _expired(robot):
        return robot["expires_at"] != -1 and robot["expires_at"] < int(datetime.datetime.now().timestamp())

    def robot_view(self, robot):
        view = {k: v for k, v in robot.items() if k not in ("secret", "name")}
        view["name"] = self.robot_name(robot)
        view["permissions"] = [dict(p, access=[dict(a) for a in p["access"]]) for p in robot["permissions"]]
        return view

    def _permissions(self, level, permissions):
        if not isinstance(permissions, list) or not permissions:
            raise bad_request("permissions are required")
        result = []
        for perm in permissions:
            if not isinstance(perm, dict) or perm.get("kind") not in ("project", "system"):
                raise bad_request("bad permission kind in %r" % (perm,))
            namespace = perm.get("namespace")
            if perm["kind"] == "project" and namespace != "*" and namespace not in self.projects:
                raise HarborError(404, "NOT_FOUND", "project %s not found" % namespace)
            access = []
            for item in perm.get("access") or []:
                resource, action = item.get("resource"), item.get("action")
                if perm["kind"] == "project" and action not in PROJECT_RESOURCES.get(resource, ()):
                    raise bad_request("bad access %s:%s" % (resource, action))
                access.append({"resource": resource, "action": action, "effect": item.get("effect") or "allow"})
            if not access:
                raise bad_request("access of %s is empty" % namespace)
            result.append({"kind": perm["kind"], "namespace": namespace, "access": access})
        if level == "project" and (len(result) != 1 or result[0]["kind"] != "project" or result[0]["namespace"] == "*"):
            raise bad_request("bad request permission")
        return result

    def create_robot(self, principal, req):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        name, level = req.get("name"), req.get("level")
        if not isinstance(name, str) or not ROBOT_NAME_RE.match(name) or len(name) > 255:
            raise bad_request("robot name is not in lower case or contains illegal characters")
        if level not in ("system", "project"):
            raise bad_request("bad request error level input: %s" % (level,))
        duration = req.get("duration")
        if not isinstance(duration, int) or isinstance(duration, bool) or (duration <= 0 and duration != -1):
            raise bad_request("bad request error duration input: %s, duration must be -1 or a positive number of days" % (duration,))
        secret = req.get("secret")
        if secret:
            if not valid_secret(secret):
                raise bad_request("the secret must be longer than 8 chars with at least 1 uppercase letter, 1 lowercase letter and 1 number")
        else:
            secret = generate_secret()
        with self.lock:
            permissions = self._permissions(level, req.get("permissions"))
            stored = name if level == "system" else "%s+%s" % (permissions[0]["namespace"], name)
            if any(r["name"] == stored for r in self.robots.values()):
                raise HarborError(409, "CONFLICT", "robot account %s already exists" % (ROBOT_PREFIX + stored))
            robot_id = self._next("robot")
            stamp = now()
            expires = -1 if duration == -1 else int(datetime.datetime.now().timestamp()) + duration * 86400
            robot = {"id": robot_id, "name": stored, "description": req.get("description") or "", "secret": secret,
                     "level": level, "duration": duration, "editable": True, "disable": bool(req.get("disable")),
                     "expires_at": expires, "permissions": permissions, "creation_time": stamp, "update_time": stamp}
            self.robots[robot_id] = robot
            return robot

    def get_robot(self, robot_id):
        with self.lock:
            robot = self.robots.get(robot_id)
            if robot is None:
                raise HarborError(404, "NOT_FOUND", "robot %s not found" % robot_id)
            return robot

    def update_robot(self, principal, robot, req):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        with self.lock:
            if req.get("level") != robot["level"] or req.get("name") != self.robot_name(robot):
                raise bad_request("cannot update the level or name of robot")
            duration = req.get("duration", robot["duration"])
            if not isinstance(duration, int) or isinstance(duration, bool) or (duration <= 0 and duration != -1):
                raise bad_request("bad request error duration input: %s" % (duration,))
            robot["permissions"] = self._permissions(robot["level"], req.get("permissions"))
            robot["description"] = req.get("description") or ""
            robot["disable"] = bool(req.get("disable"))
            if duration != robot["duration"]:
                robot["duration"] = duration
                robot["expires_at"] = -1 if duration == -1 else int(datetime.datetime.now().timestamp()) + duration * 86400
            robot["update_time"] = now()

    def refresh_secret(self, principal, robot, req):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        secret = (req or {}).get("secret")
        if secret:
            if not valid_secret(secret):
                raise bad_request("the secret must be longer than 8 chars with at least 1 uppercase letter, 1 lowercase letter and 1 number")
        else:
            secret = generate_secret()
        with self.lock:
            robot["secret"] = secret
            robot["update_time"] = now()
        return secret

    def delete_robot(self, principal, robot):
        if principal is None or not principal["admin"]:
            raise HarborError(403, "FORBIDDEN", "forbidden")
        with self.lock:
            del self.robots[robot["id"]]
