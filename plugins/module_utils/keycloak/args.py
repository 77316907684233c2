# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# Apache License 2.0 (see LICENSE)
"""The one argument spec for the Keycloak connection, shared by every Keycloak module.

It matches the ``airgap.dify_platform.keycloak`` doc fragment, and every option
can be set once per play with ``module_defaults: group/airgap.dify_platform.keycloak``
or through a ``KEYCLOAK_*`` environment variable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def connection_argument_spec():
    """Return a fresh copy of the connection options."""
    return dict(
        auth_keycloak_url=dict(type="str", required=True, aliases=["url"], no_log=False,
                               fallback=(env_fallback, ["KEYCLOAK_URL"])),
        auth_realm=dict(type="str", default="master",
                        fallback=(env_fallback, ["KEYCLOAK_AUTH_REALM"])),
        auth_client_id=dict(type="str", default="admin-cli",
                            fallback=(env_fallback, ["KEYCLOAK_CLIENT_ID"])),
        auth_client_secret=dict(type="str", no_log=True,
                                fallback=(env_fallback, ["KEYCLOAK_CLIENT_SECRET"])),
        auth_username=dict(type="str", aliases=["username"],
                           fallback=(env_fallback, ["KEYCLOAK_USERNAME"])),
        auth_password=dict(type="str", aliases=["password"], no_log=True,
                           fallback=(env_fallback, ["KEYCLOAK_PASSWORD"])),
        validate_certs=dict(type="bool", default=True,
                            fallback=(env_fallback, ["KEYCLOAK_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["KEYCLOAK_CA_PATH"])),
        timeout=dict(type="int", default=30, aliases=["connection_timeout"],
                     fallback=(env_fallback, ["KEYCLOAK_TIMEOUT"])),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["KEYCLOAK_RETRIES"])),
        retry_backoff=dict(type="float", default=0.5,
                           fallback=(env_fallback, ["KEYCLOAK_RETRY_BACKOFF"])),
    )


CONNECTION_REQUIRED_TOGETHER = [["auth_username", "auth_password"]]
CONNECTION_REQUIRED_ONE_OF = [["auth_username", "auth_client_secret"]]


def connection_params(params):
    """The subset of a module's parameters that describes the connection."""
    return dict((key, params.get(key)) for key in connection_argument_spec())
