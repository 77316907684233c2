# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""One realm and a list of its clients, ensured in order over one admin session.

The ``keycloak_realm_clients`` action builds every representation first (bad
input fails before any request), signs in once, then runs
:class:`RealmService` and :class:`ClientService` exactly as the two modules do.
In check mode, when the realm would be created, the clients are planned
without a request: there is no realm to read them from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client_service import ClientService
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.realm_service import RealmService
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    client_representation,
)


class ClientFailed(PlatformError):
    """One client of the list failed: names it, and keeps the results of the objects done before it."""

    def __init__(self, client_id, cause, realm_result=None, done=None):
        self.client_id = client_id
        self.cause = cause
        self.realm_result = realm_result
        self.done = list(done or [])
        super(ClientFailed, self).__init__("client %s: %s" % (client_id, cause))


class ClientPlan:
    """A client of the list: its declared representation, state and mapper purge."""

    def __init__(self, desired, state="present", purge_protocol_mappers=False):
        self.desired = desired
        self.state = state
        self.purge_protocol_mappers = purge_protocol_mappers

    @property
    def client_id(self):
        return self.desired["clientId"]


def client_plans(clients):
    """Plans from the validated ``clients`` option; a bad client fails naming it, before any request."""
    plans = []
    for params in clients or []:
        try:
            desired = client_representation(params)
        except PlatformError as exc:
            raise ClientFailed(params.get("client_id"), exc) from None
        plans.append(ClientPlan(desired, params.get("state") or "present", bool(params.get("purge_protocol_mappers"))))
    repeated = sorted(set(p.client_id for p in plans if [q.client_id for q in plans].count(p.client_id) > 1))
    if repeated:
        raise ClientFailed(repeated[0], "a client_id may appear only once in clients")
    return plans


def ensure_realm_clients(api, realm_desired, plans, check_mode=False):
    """Ensure the realm (present), then each client in order: (realm result, [client results])."""
    realm_result = RealmService(api).ensure(realm_desired, "present", check_mode)
    # In check mode a realm that would be created has no id yet: nothing can be read from it.
    new_realm = check_mode and realm_result["id"] is None
    service = ClientService(api, realm_desired["realm"])
    done = []
    for plan in plans:
        try:
            if new_realm:
                result = service.planned_in_new_realm(plan.desired, plan.state)
            else:
                result = service.ensure(plan.desired, plan.state, check_mode, plan.purge_protocol_mappers)
        except PlatformError as exc:
            raise ClientFailed(plan.client_id, exc, realm_result, done) from None
        done.append(result)
    return realm_result, done


def object_diffs(realm_result, client_results):
    """The diff of each object, realm first, each headed with what it is."""
    diffs = []
    for header, result in [("realm %s" % realm_result["realm"], realm_result)] + [
            ("client %s" % r["client_id"], r) for r in client_results]:
        diff = result.get("diff") or {"before": {}, "after": {}}
        diffs.append({"before_header": header, "after_header": header,
                      "before": diff["before"], "after": diff["after"]})
    return diffs


def summary(realm_result, client_results, check_mode=False):
    """``Realm x is up to date. 1 of 2 client(s) changed: b.`` in one line."""
    changed = [r["client_id"] for r in client_results if r["changed"]]
    if not client_results:
        return realm_result["msg"]
    if not changed:
        return "%s %d client(s) up to date." % (realm_result["msg"], len(client_results))
    verb = "would change" if check_mode else "changed"
    counts = "%d of %d client(s) %s" % (len(changed), len(client_results), verb)
    return "%s %s: %s." % (realm_result["msg"], counts, ", ".join(changed))
