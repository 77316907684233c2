# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs shared by the LiteLLM modules.

``connection_argument_spec`` matches the ``airgap.dify_platform.litellm`` doc fragment;
every option can be set once per play with
``module_defaults: group/airgap.dify_platform.litellm`` or through a ``LITELLM_*``
environment variable. The key, user, team and group specs are used both by
``litellm_key`` (one key) and by the list options of ``litellm_key_sync``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def connection_argument_spec():
    """Return a fresh copy of the connection options."""
    return dict(
        api_url=dict(type="str", required=True, aliases=["url"],
                     fallback=(env_fallback, ["LITELLM_URL", "LITELLM_API_BASE"])),
        master_key=dict(type="str", required=True, no_log=True, aliases=["api_key"],
                        fallback=(env_fallback, ["LITELLM_MASTER_KEY"])),
        validate_certs=dict(type="bool", default=True,
                            fallback=(env_fallback, ["LITELLM_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["LITELLM_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["LITELLM_TIMEOUT"])),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["LITELLM_RETRIES"])),
        retry_backoff=dict(type="float", default=0.5, fallback=(env_fallback, ["LITELLM_RETRY_BACKOFF"])),
    )


def connection_params(params):
    """The subset of a module's parameters that describes the connection."""
    return dict((key, params.get(key)) for key in connection_argument_spec())


def _limits():
    return dict(
        models=dict(type="list", elements="str"),
        max_budget=dict(type="float"),
        budget_duration=dict(type="str"),
        tpm_limit=dict(type="int"),
        rpm_limit=dict(type="int"),
        metadata=dict(type="dict"),
    )


def key_spec():
    """One virtual key; ``key_alias`` is its identity."""
    spec = dict(
        key_alias=dict(type="str", required=True, no_log=False),
        key=dict(type="str", no_log=True),
        user_id=dict(type="str"),
        team_id=dict(type="str"),
        max_parallel_requests=dict(type="int"),
        duration=dict(type="str"),
    )
    spec.update(_limits())
    return spec


USER_ROLES = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"]


def user_spec():
    spec = dict(
        user_id=dict(type="str", required=True),
        user_alias=dict(type="str"),
        user_email=dict(type="str"),
        user_role=dict(type="str", choices=USER_ROLES),
        max_parallel_requests=dict(type="int"),
    )
    spec.update(_limits())
    return spec


def team_spec():
    spec = dict(
        team_id=dict(type="str", required=True),
        team_alias=dict(type="str"),
    )
    spec.update(_limits())
    return spec


DEFAULT_KEY_ALIAS_FORMAT = "{group}-{user}"


def group_spec():
    """A group (for example a Keycloak group): each member gets a user and a key with the group's limits."""
    spec = dict(
        name=dict(type="str", required=True),
        members=dict(type="list", elements="str", required=True),
        key_alias_format=dict(type="str", default=DEFAULT_KEY_ALIAS_FORMAT, no_log=False),
        team_id=dict(type="str"),
        max_parallel_requests=dict(type="int"),
        duration=dict(type="str"),
        create_users=dict(type="bool", default=True),
    )
    spec.update(_limits())
    return spec
