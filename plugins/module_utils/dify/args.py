# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec every Dify module shares (documented by doc_fragments/dify.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def connection_argument_spec():
    """Connection and credentials, settable once with module_defaults group/airgap.dify_platform.dify."""
    return dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["DIFY_URL"])),
        email=dict(type="str", fallback=(env_fallback, ["DIFY_EMAIL"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["DIFY_PASSWORD"])),
        admin_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["DIFY_ADMIN_API_KEY"])),
        workspace_id=dict(type="str", fallback=(env_fallback, ["DIFY_WORKSPACE_ID"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["DIFY_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["DIFY_CA_PATH"])),
        timeout=dict(type="int", default=30, fallback=(env_fallback, ["DIFY_TIMEOUT"])),
        retries=dict(type="int", default=3),
    )


# Constraints for modules that log in (every module but dify_setup).
LOGIN_CONSTRAINTS = dict(
    required_one_of=[("email", "admin_api_key")],
    required_together=[("email", "password"), ("admin_api_key", "workspace_id")],
    mutually_exclusive=[("email", "admin_api_key")],
)


def argument_spec(**module_options):
    """The shared spec plus a module's own options."""
    spec = connection_argument_spec()
    spec.update(module_options)
    return spec
