# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Realms: read, create, update, delete, with check mode and a truthful diff.

A no-op costs one request (GET the realm) after the token. After a write the
realm is read back and compared again: if Keycloak did not take a declared
value, the task fails instead of reporting a change that did not happen.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import admin_path
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.compare import display, realm_changes
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked

# Keycloak already masks the SMTP password in what it returns; mask it here too, whatever it returns.
SECRET_KEYS = ("password",)


class RealmService:
    """The realms of one Keycloak."""

    def __init__(self, api):
        self.api = api

    def get(self, name):
        return self.api.get(admin_path(name))

    def create(self, rep):
        self.api.create(admin_path(), rep)

    def update(self, name, rep):
        self.api.update(admin_path(name), rep)

    def delete(self, name):
        self.api.delete(admin_path(name))

    def ensure(self, desired, state="present", check_mode=False):
        """Make the realm match ``desired`` (declared fields only) or remove it."""
        name = desired["realm"]
        current = self.get(name)
        if state == "absent":
            return self._absent(name, current, check_mode)
        if current is None:
            return self._create(name, desired, check_mode)
        keys, before, after = realm_changes(desired, current)
        result = _result(name, current, changed=bool(keys), changes=keys,
                         diff={"before": before, "after": after})
        if not keys:
            result["msg"] = "Realm %s is up to date." % name
            return result
        if check_mode:
            result["msg"] = "Realm %s would be updated (%s)." % (name, ", ".join(keys))
            return result
        body = {"realm": name}
        body.update((key, desired[key]) for key in keys)
        self.update(name, body)
        result["end_state"] = self._verified(name, desired)
        result["msg"] = "Realm %s updated (%s)." % (name, ", ".join(keys))
        return result

    def _absent(self, name, current, check_mode):
        if current is None:
            return _result(name, None, changed=False, changes=[], diff={"before": {}, "after": {}},
                           msg="Realm %s does not exist." % name)
        if not check_mode:
            self.delete(name)
        return _result(name, None if not check_mode else current, changed=True, changes=["realm"],
                       diff={"before": display(masked(current, SECRET_KEYS)), "after": {}},
                       msg="Realm %s %s." % (name, "would be deleted" if check_mode else "deleted"))

    def _create(self, name, desired, check_mode):
        body = dict(desired)
        body.setdefault("enabled", True)
        diff = {"before": {}, "after": display(body)}
        if check_mode:
            return _result(name, None, changed=True, changes=["realm"], diff=diff,
                           msg="Realm %s would be created." % name)
        self.create(body)
        end_state = self._verified(name, body)
        return _result(name, end_state, changed=True, changes=["realm"], diff=diff,
                       msg="Realm %s created." % name)

    def _verified(self, name, desired):
        """Read the realm back; fail if a declared value did not stick."""
        end_state = self.get(name)
        if end_state is None:
            raise ApiError("realm %s is missing right after it was written" % name)
        left, before, after = realm_changes(desired, end_state)
        if left:
            raise ApiError("Keycloak accepted the write to realm %s but still holds other values for %s: "
                           "holds %r, declared %r" % (name, ", ".join(left), before, after))
        return end_state


def _result(name, end_state, changed, changes, diff, msg=""):
    return {
        "changed": changed,
        "changes": changes,
        "realm": name,
        "id": (end_state or {}).get("id"),
        "end_state": masked(end_state or {}, SECRET_KEYS),
        "diff": diff,
        "msg": msg,
    }
