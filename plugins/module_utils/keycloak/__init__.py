# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""Keycloak admin API: shared argument spec, auth, client, services and compare logic.

One file per job:

- ``args``: the shared connection argument spec (the ``keycloak`` action group);
- ``options``: the realm, client and mapper options, shared by the modules and the action;
- ``auth``: admin tokens (password or client-credentials grant), refreshed on 401;
- ``client``: the admin REST client on top of ``module_utils.http_client``;
- ``representation`` and ``mappers``: module parameters to Keycloak representations;
- ``compare``: normalise, compare only what was declared, build the diff;
- ``realm_service`` and ``client_service``: read, create, update, delete, check mode;
- ``realm_clients``: a realm then its clients in order, for the ``keycloak_realm_clients`` action.
"""
