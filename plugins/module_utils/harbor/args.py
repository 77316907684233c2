# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec for the Harbor connection, shared by every Harbor module.

It matches the ``airgap.dify_platform.harbor`` doc fragment. Every option can be
set once per play with ``module_defaults: group/airgap.dify_platform.harbor`` or
through a ``HARBOR_*`` environment variable.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def connection_argument_spec():
    """Return a fresh copy of the connection options."""
    return dict(
        harbor_url=dict(type="str", required=True, aliases=["url"], fallback=(env_fallback, ["HARBOR_URL"])),
        harbor_username=dict(type="str", default="admin", aliases=["username"],
                             fallback=(env_fallback, ["HARBOR_USERNAME"])),
        harbor_password=dict(type="str", required=True, no_log=True, aliases=["password"],
                             fallback=(env_fallback, ["HARBOR_PASSWORD"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["HARBOR_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["HARBOR_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["HARBOR_TIMEOUT"])),
        retries=dict(type="int", default=3, fallback=(env_fallback, ["HARBOR_RETRIES"])),
        retry_backoff=dict(type="float", default=0.5, fallback=(env_fallback, ["HARBOR_RETRY_BACKOFF"])),
    )


def connection_params(params):
    """The subset of a module's parameters that describes the connection."""
    return dict((key, params.get(key)) for key in connection_argument_spec())
