# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor robot accounts: ensure present with the declared access (and secret) or absent.

Harbor never returns a robot's secret after creation, so a declared secret is
checked the way a client would use it: one login at Harbor's registry token
service with the robot's name and that secret. Refused means the secret
differs, and it is set (``PATCH /robots/{id}`` with a ``RobotSec``): the change
shows in ``changes`` and, masked, in the diff. A disabled or expired robot
cannot log in, so its secret cannot be checked; ``secret_verified`` is then
false and nothing is sent for it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.harbor.compare import (
    ROBOT_PREFIX,
    robot_changes,
    robot_view,
    stored_robot_name,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked_diff

SECRET_MIN, SECRET_MAX = 8, 128


def check_secret(secret):
    """Harbor's rule for robot secrets: 8-128 characters with a lowercase, an uppercase letter and a digit."""
    if secret is None:
        return
    if not (SECRET_MIN <= len(secret) <= SECRET_MAX and any(c.islower() for c in secret)
            and any(c.isupper() for c in secret) and any(c.isdigit() for c in secret)):
        raise ValidationError("the robot secret must be 8-128 characters with at least one lowercase letter, "
                              "one uppercase letter and one digit (Harbor's rule)")


class RobotService:
    """The robot accounts of one Harbor."""

    def __init__(self, client, prefix=ROBOT_PREFIX, clock=time.time):
        self.client = client
        self.prefix = prefix
        self.clock = clock

    def find(self, stored, level):
        full = self.prefix + stored
        matches = [r for r in self.client.find_robots(stored) if r.get("name") == full and r.get("level") == level]
        if len(matches) > 1:
            raise ApiError("Harbor holds %d robot accounts named %s" % (len(matches), full))
        return matches[0] if matches else None

    def ensure(self, desired, secret=None, state="present", check_mode=False):
        """``desired``: name, level, permissions (Harbor form) and optionally description, duration, disable."""
        check_secret(secret)
        stored = stored_robot_name(desired["name"], desired["level"], desired.get("permissions"))
        full = self.prefix + stored
        current = self.find(stored, desired["level"])
        if state == "absent":
            if current is None:
                return _result(full, None, False, [], {"before": {}, "after": {}}, "Robot %s does not exist." % full)
            if not check_mode:
                self.client.delete_robot(current["id"])
            return _result(full, current if check_mode else None, True, ["robot"],
                           {"before": robot_view(current), "after": {}},
                           "Robot %s %s." % (full, "would be deleted" if check_mode else "deleted"))
        if current is None:
            return self._create(full, desired, secret, check_mode)
        return self._update(full, current, desired, secret, check_mode)

    def _create(self, full, desired, secret, check_mode):
        body = {"name": desired["name"], "level": desired["level"], "permissions": desired["permissions"],
                "description": desired.get("description") or "", "duration": desired.get("duration", -1),
                "disable": bool(desired.get("disable", False))}
        after = robot_view(dict(body, name=full))
        diff = {"before": {}, "after": after}
        if check_mode:
            return _result(full, None, True, ["robot"], diff, "Robot %s would be created." % full)
        if secret:
            body["secret"] = secret
        created = self.client.create_robot(body)
        if created.get("name") and created["name"] != full:
            raise ApiError("Harbor named the new robot %s, not %s; set name_prefix to Harbor's robot name prefix"
                           % (created["name"], full))
        end_state = self.client.get_robot(created["id"])
        if end_state is None:
            raise ApiError("robot %s is missing right after it was created" % full)
        result = _result(full, end_state, True, ["robot"], diff, "Robot %s created." % full)
        if secret:
            # Older Harbor releases ignore the secret of RobotCreate: make sure it is the declared one.
            if not body["disable"] and not self.client.registry_login(full, secret):
                self.client.set_robot_secret(created["id"], secret)
            result["secret_verified"] = not body["disable"]
        else:
            result["secret"] = created.get("secret")
        return result

    def _update(self, full, current, desired, secret, check_mode):
        keys, before, after = robot_changes(desired, current)
        will_be_disabled = desired.get("disable", bool(current.get("disable")))
        expires = current.get("expires_at")
        expired = expires not in (None, -1) and expires < self.clock()
        secret_changed = False
        verified = False
        if secret and not will_be_disabled and not expired and not (check_mode and "disable" in keys):
            verified = True
            secret_changed = not self.client.registry_login(full, secret)
        if secret_changed:
            keys.append("secret")
            before["secret"], after["secret"] = "old", secret
        diff = masked_diff(before, after, ["secret"])
        result = _result(full, current, bool(keys), keys, diff, "")
        result["secret_verified"] = verified
        if not keys:
            result["msg"] = "Robot %s is up to date." % full
            return result
        if check_mode:
            result["msg"] = "Robot %s would be updated (%s)." % (full, ", ".join(keys))
            return result
        fields = [k for k in keys if k != "secret"]
        if fields:
            body = dict(current)
            body.update((k, desired[k]) for k in fields)
            self.client.update_robot(current["id"], body)
        if secret_changed:
            self.client.set_robot_secret(current["id"], secret)
        end_state = self.client.get_robot(current["id"])
        left, held, wanted = robot_changes(desired, end_state or {})
        if end_state is None or left:
            raise ApiError("Harbor accepted the update of robot %s but holds %r instead of %r" % (full, held, wanted))
        result["robot"] = robot_view(end_state)
        result["msg"] = "Robot %s updated (%s)." % (full, ", ".join(keys))
        return result


def _result(full, robot, changed, changes, diff, msg):
    return {
        "changed": changed,
        "changes": changes,
        "name": full,
        "id": (robot or {}).get("id"),
        "robot": robot_view(robot) if robot else {},
        "diff": diff,
        "msg": msg,
    }
