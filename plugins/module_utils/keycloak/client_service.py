# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""OIDC clients: read, create, update, delete, with check mode and a truthful diff.

Cost of a no-op run: one request. ``GET clients?clientId=X`` returns the full
representation, protocol mappers, default and optional client scope names and
(for a confidential client the admin may manage) the secret. Only when the
secret is missing from it is ``GET .../client-secret`` read, which makes two.

Writes go to the sub-resource that owns each part: ``PUT clients/{id}`` for
fields, attributes and the secret; ``protocol-mappers/models`` for mappers;
``default-client-scopes`` and ``optional-client-scopes`` for scopes (a client
PUT ignores scope lists). After any write the client is read back and compared
again, so a value Keycloak did not take fails the task instead of being
reported as done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import quote_segment
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import admin_path
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.compare import (
    canonical_client,
    client_changes,
    desired_client_view,
    display,
    mapper_plan,
    merged_mapper,
    scope_plan,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked, masked_diff

SECRET_KEYS = ("secret",)
SUBRESOURCE_KEYS = ("defaultClientScopes", "optionalClientScopes", "protocolMappers")
SCOPE_PATHS = {"default": "default-client-scopes", "optional": "optional-client-scopes"}


class ClientService:
    """The clients of one realm."""

    def __init__(self, api, realm):
        self.api = api
        self.realm = realm

    # --- reads -----------------------------------------------------------

    def find(self, client_id):
        """The client whose clientId is exactly ``client_id``, or None."""
        clients = self.api.get(admin_path(self.realm, "clients"), query={"clientId": client_id})
        if clients is None:
            raise ValidationError("realm %s does not exist" % self.realm)
        for client in clients:
            if client.get("clientId") == client_id:
                return client
        return None

    def read(self, client_uuid):
        client = self.api.get(admin_path(self.realm, "clients", client_uuid))
        if client is None:
            raise ApiError("client %s is missing from realm %s right after it was written" % (client_uuid, self.realm))
        return client

    def with_secret(self, client):
        """The client with its ``secret`` filled in, read from client-secret only when missing."""
        if client is None or client.get("publicClient") or client.get("secret") is not None:
            return client
        data = self.api.get(admin_path(self.realm, "clients", client["id"], "client-secret"))
        client = dict(client)
        if isinstance(data, dict) and data.get("value") is not None:
            client["secret"] = data["value"]
        return client

    def scope_ids(self, names):
        """Map client scope names to ids; fail on names the realm does not have."""
        scopes = self.api.get(admin_path(self.realm, "client-scopes")) or []
        ids = dict((scope.get("name"), scope.get("id")) for scope in scopes)
        missing = sorted(set(names) - set(ids))
        if missing:
            raise ValidationError("client scope(s) %s do not exist in realm %s"
                                  % (", ".join(missing), self.realm))
        return ids

    # --- ensure ----------------------------------------------------------

    def ensure(self, desired, state="present", check_mode=False, purge_protocol_mappers=False):
        """Make the client match ``desired`` (declared fields only) or remove it."""
        return _with_declared_secret(self._ensure(desired, state, check_mode, purge_protocol_mappers),
                                     desired, state)

    def planned_in_new_realm(self, desired, state="present"):
        """What ``ensure`` reports in check mode when the realm itself would be created.

        Sends no request: the realm does not exist yet, so a present client would be
        created and an absent one is already gone. Scope names cannot be checked
        against a realm that does not exist; a real run checks them.
        """
        if state == "absent":
            return _result(desired["clientId"], None, False, [], {"before": {}, "after": {}},
                           "Realm %s does not exist yet, so neither does client %s." % (self.realm, desired["clientId"]))
        return _with_declared_secret(_would_create(desired), desired, state)

    def _ensure(self, desired, state, check_mode, purge_protocol_mappers):
        client_id = desired["clientId"]
        try:
            current = self.find(client_id)
        except ValidationError:
            if state == "absent":
                return _result(client_id, None, False, [], {"before": {}, "after": {}},
                               "Realm %s does not exist, so neither does client %s." % (self.realm, client_id))
            raise
        if state == "absent":
            return self._absent(client_id, current, check_mode)
        if current is None:
            return self._create(desired, check_mode, purge_protocol_mappers)
        current = self.with_secret(current)
        keys, before, after = client_changes(desired, current, purge_protocol_mappers)
        diff = masked_diff(before, after, SECRET_KEYS)
        if not keys:
            return _result(client_id, current, False, [], diff, "Client %s is up to date." % client_id)
        if check_mode:
            return _result(client_id, current, True, keys, diff,
                           "Client %s would be updated (%s)." % (client_id, ", ".join(keys)))
        self._apply(current, desired, keys, purge_protocol_mappers)
        end_state = self._verified(current["id"], desired, purge_protocol_mappers)
        return _result(client_id, end_state, True, keys, diff,
                       "Client %s updated (%s)." % (client_id, ", ".join(keys)))

    def _absent(self, client_id, current, check_mode):
        if current is None:
            return _result(client_id, None, False, [], {"before": {}, "after": {}},
                           "Client %s does not exist." % client_id)
        if not check_mode:
            self.api.delete(admin_path(self.realm, "clients", current["id"]))
        diff = {"before": display(masked(canonical_client(current), SECRET_KEYS)), "after": {}}
        result = _result(client_id, current if check_mode else None, True, ["client"], diff,
                         "Client %s %s." % (client_id, "would be deleted" if check_mode else "deleted"))
        result["id"] = current["id"]
        result["secret"] = None  # a client on its way out has no secret worth handing out
        return result

    def _create(self, desired, check_mode, purge_protocol_mappers):
        client_id = desired["clientId"]
        scopes = set(desired.get("defaultClientScopes") or []) | set(desired.get("optionalClientScopes") or [])
        if scopes:
            self.scope_ids(scopes)  # fail before creating anything when a scope does not exist
        if check_mode:
            return _would_create(desired)
        desired = _confidential_by_default(desired)
        diff = _creation_diff(desired)
        client_uuid = self.api.create(admin_path(self.realm, "clients"), desired)
        if client_uuid is None:
            created = self.find(client_id)
            if created is None:
                raise ApiError("client %s is missing from realm %s right after it was created"
                               % (client_id, self.realm))
            client_uuid = created["id"]
        end_state = self.with_secret(self.read(client_uuid))
        keys = client_changes(desired, end_state, purge_protocol_mappers)[0]
        if keys:
            # Keycloak applies some parts of a new client on its own terms; finish them.
            self._apply(end_state, desired, keys, purge_protocol_mappers)
            end_state = self._verified(client_uuid, desired, purge_protocol_mappers)
        return _result(client_id, end_state, True, ["client"], diff, "Client %s created." % client_id)

    def _verified(self, client_uuid, desired, purge_protocol_mappers):
        end_state = self.with_secret(self.read(client_uuid))
        left, before, after = client_changes(desired, end_state, purge_protocol_mappers)
        if left:
            shown = masked_diff(before, after, SECRET_KEYS)
            raise ApiError("Keycloak accepted the write to client %s in realm %s but still holds other values "
                           "for %s: holds %r, declared %r"
                           % (desired["clientId"], self.realm, ", ".join(left), shown["before"], shown["after"]))
        return end_state

    # --- writes ----------------------------------------------------------

    def _apply(self, current, desired, keys, purge_protocol_mappers):
        client_path = admin_path(self.realm, "clients", current["id"])
        scope_ops = None
        if "defaultClientScopes" in keys or "optionalClientScopes" in keys:
            # Resolved (and unknown names refused) before the first write.
            scope_ops = self._scope_operations(desired, current)
        fields = [key for key in keys if key not in SUBRESOURCE_KEYS]
        if fields:
            body = {"clientId": desired["clientId"]}
            body.update((key, desired[key]) for key in fields)
            self.api.update(client_path, body)
        if "protocolMappers" in keys:
            self._apply_mappers(client_path, desired.get("protocolMappers"),
                                current.get("protocolMappers"), purge_protocol_mappers)
        for method, kind, scope_id in scope_ops or []:
            path = "%s/%s/%s" % (client_path, SCOPE_PATHS[kind], quote_segment(scope_id))
            if method == "DELETE":
                self.api.delete(path)
            else:
                self.api.put_empty(path)

    def _apply_mappers(self, client_path, desired, current, purge):
        models = client_path + "/protocol-mappers/models"
        plan = mapper_plan(desired, current, purge)
        for mapper in plan["delete"]:
            self.api.delete("%s/%s" % (models, quote_segment(mapper["id"])))
        for want, have in plan["replace"]:
            self.api.delete("%s/%s" % (models, quote_segment(have["id"])))
            self.api.create(models, want)
        for want, have in plan["update"]:
            self.api.update("%s/%s" % (models, quote_segment(have["id"])), merged_mapper(want, have))
        for mapper in plan["create"]:
            self.api.create(models, mapper)

    def _scope_operations(self, desired, current):
        """[(method, "default"|"optional", scope id)]: removals first, then additions."""
        view = desired_client_view(desired, current)
        want = {"default": view.get("defaultClientScopes"), "optional": view.get("optionalClientScopes")}
        have = {"default": current.get("defaultClientScopes"), "optional": current.get("optionalClientScopes")}
        removals, additions = scope_plan(want, have)
        if not removals and not additions:
            return []
        ids = self.scope_ids(name for _kind, name in removals + additions)
        return ([("DELETE", kind, ids[name]) for kind, name in removals]
                + [("PUT", kind, ids[name]) for kind, name in additions])


def _confidential_by_default(desired):
    # Keycloak's own default for a client created through the API is public;
    # the platform's clients are confidential unless declared otherwise.
    desired = dict(desired)
    desired.setdefault("publicClient", False)
    return desired


def _creation_diff(desired):
    return masked_diff({}, display(canonical_client(desired)), SECRET_KEYS)


def _would_create(desired):
    """The check-mode result of creating ``desired``."""
    return _result(desired["clientId"], None, True, ["client"], _creation_diff(_confidential_by_default(desired)),
                   "Client %s would be created." % desired["clientId"])


def _with_declared_secret(result, desired, state):
    if state == "present" and desired.get("secret") is not None:
        # The declared secret is the end state (verified after a write, predicted in
        # check mode); never hand out the one it replaces.
        result["secret"] = desired["secret"]
    return result


def _result(client_id, end_state, changed, changes, diff, msg):
    end_state = end_state or {}
    return {
        "changed": changed,
        "changes": changes,
        "client_id": client_id,
        "id": end_state.get("id"),
        "secret": end_state.get("secret"),
        "end_state": masked(end_state, SECRET_KEYS),
        "diff": diff,
        "msg": msg,
    }
