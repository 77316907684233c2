#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: dify_plugin
short_description: Install Dify plugins from signed .difypkg packages, or remove them
description:
  - Installs Dify plugin packages (C(.difypkg), for example those the mirror role carried across the air gap in
    the bundle) through Dify's console API, the way the console's "install from local package" does - upload the
    package (C(POST /console/api/workspaces/current/plugin/upload/pkg)), install it by its unique identifier
    (C(POST .../plugin/install/pkg)) and follow the plugin daemon's install task until it ends.
  - Idempotent. A plugin is known by its plugin ID (C(author/name)); when a plugin with the package's plugin ID and
    version is installed, nothing is sent. The package's unique identifier (C(author/name:version@checksum)) is
    computed on the controller as the plugin daemon computes it, so check mode needs no upload.
  - A different installed version is replaced only with O(replace=true) - uninstalled, then installed - because
    the plugin daemon refuses a second installation of the same plugin ID.
  - Signatures stay on. An unsigned package is refused before any request; a package signed with a key the
    plugin daemon does not trust is refused by Dify, and the error says how to give the daemon the operator's key.
    Verification is never turned off by this module.
  - A package with a C(uv.lock) and no C(requirements.txt) is refused before any request too - the plugin daemon
    would install it with C(uv sync --frozen) from the lock's public index URLs.
  - Always returns RV(installed), every plugin of the workspace after the task, so it also serves as an info
    module (O(packages) empty, or in check mode).
  - The upload and the install are sent once, never retried; a lost answer fails the task, and running it again
    lists what is installed and goes on from there.
version_added: 0.1.0
author:
  - airgap.dify_platform maintainers (@airgap)
options:
  packages:
    description:
      - Paths of C(.difypkg) files on the controller, one per plugin.
      - With O(state=absent) their plugin IDs are removed (the files are read for their manifest only).
    type: list
    elements: path
    default: []
  plugin_ids:
    description:
      - Plugin IDs (C(author/name)) to remove. Only with O(state=absent).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) installs the packages, V(absent) uninstalls the plugins named by O(plugin_ids) and O(packages).
    type: str
    choices: [present, absent]
    default: present
  replace:
    description:
      - Replace an installed plugin whose version differs from the package's. Without it such a package fails the
        task and nothing is changed.
      - The daemon removes the endpoints set up for the old installation; tool credentials stay in Dify.
    type: bool
    default: false
  verify_keys:
    description:
      - PEM files of RSA public keys (C(RSA PUBLIC KEY), as C(dify signature generate) writes them). When given,
        each package must verify with one of them on the controller, with the plugin daemon's algorithm, before
        anything is uploaded. Give the same key the daemon trusts through
        C(THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS) to catch a tampered package in check mode too.
    type: list
    elements: path
    default: []
  install_timeout:
    description:
      - Seconds to wait for the plugin daemon's install task. Installing a plugin runs C(uv pip install) of its
        requirements against the daemon's index, which can take minutes.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds between two reads of the install task.
    type: int
    default: 3
  max_package_size:
    description:
      - Largest package accepted, in bytes; Dify's C(PLUGIN_MAX_PACKAGE_SIZE) (50 MiB in Dify's C(docker/.env.example)).
    type: int
    default: 52428800
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - airgap.dify_platform.dify
  - airgap.dify_platform.dify.action_group
attributes:
  check_mode:
    support: full
    details: Reads the installed plugins and the package files only; reports what would be installed, replaced or removed.
  diff_mode:
    support: full
    details: The installed plugins, plugin ID to version, before and after.
  platform:
    platforms: all
notes:
  - Needs a Dify account allowed to install plugins in the workspace (the workspace's plugin permission), or the
    admin API key.
  - Installing needs the plugin daemon to reach a Python index for the plugin's requirements; behind an air gap
    that is the in-cluster index of the bundle's wheels (the mirror role's C(tasks_from=plugin_index),
    docs/dify-plugins.md).
seealso:
  - module: airgap.dify_platform.mirror_bundle
  - module: airgap.dify_platform.dify_app
"""

EXAMPLES = r"""
- name: Install the plugins carried in the bundle
  airgap.dify_platform.dify_plugin:
    url: https://dify.apps.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    ca_path: /etc/pki/tls/certs/internal-ca.pem
    packages: "{{ query('ansible.builtin.fileglob', '/srv/bundle/published/dify-plugins/*.difypkg') }}"
    verify_keys:
      - /etc/airgap/dify-plugin-signing.pub

- name: Upgrade one plugin to the version in the bundle
  airgap.dify_platform.dify_plugin:
    url: https://dify.apps.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    packages:
      - /srv/bundle/published/dify-plugins/airgap-airgap_echo-0.0.2.difypkg
    replace: true

- name: List the installed plugins (nothing is changed)
  airgap.dify_platform.dify_plugin:
    url: https://dify.apps.example.com
    admin_api_key: "{{ vault_dify_admin_api_key }}"
    workspace_id: "{{ dify_workspace_id }}"
  register: dify_plugins

- name: Remove a plugin
  airgap.dify_platform.dify_plugin:
    url: https://dify.apps.example.com
    email: admin@example.com
    password: "{{ vault_dify_admin_password }}"
    state: absent
    plugin_ids:
      - airgap/airgap_echo
"""

RETURN = r"""
installed:
  description: Every plugin installed in the workspace after the task (before it, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    plugin_id:
      description: C(author/name).
      type: str
      sample: airgap/airgap_echo
    version:
      description: The installed version.
      type: str
      sample: 0.0.1
    unique_identifier:
      description: The plugin daemon's name of the installed package, C(author/name:version@checksum).
      type: str
      sample: airgap/airgap_echo:0.0.1@3f1c0e2b9d4a7c6e5f8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6
    installation_id:
      description: Dify's ID of the installation (what an uninstall names).
      type: str
      sample: 6f1f1c8e-2f5b-4d0a-9a43-2b7a0c7c1e55
    source:
      description: How it was installed, V(package), V(marketplace), V(github) or V(remote).
      type: str
      sample: package
    category:
      description: The plugin's category, for example V(tool) or V(model).
      type: str
      sample: tool
    verified:
      description: Whether the daemon verified the package's signature.
      type: bool
      sample: true
actions:
  description: What the task did (or would do, in check mode), in order.
  returned: always
  type: list
  elements: dict
  sample:
    - action: install
      plugin_id: airgap/airgap_echo
      from_version: null
      to_version: 0.0.1
      unique_identifier: airgap/airgap_echo:0.0.1@3f1c0e2b9d4a7c6e5f8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6
      path: /srv/bundle/published/dify-plugins/airgap-airgap_echo-0.0.1.difypkg
summary:
  description: How many plugins were installed, replaced, uninstalled and left unchanged.
  returned: always
  type: dict
  sample: {install: 1, replace: 0, uninstall: 0, unchanged: 2}
packages:
  description: The package files read, with their identity as the plugin daemon names it.
  returned: always
  type: list
  elements: dict
  sample:
    - plugin_id: airgap/airgap_echo
      version: 0.0.1
      unique_identifier: airgap/airgap_echo:0.0.1@3f1c0e2b9d4a7c6e5f8a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6
      path: /srv/bundle/published/dify-plugins/airgap-airgap_echo-0.0.1.difypkg
      signed: true
request_count:
  description: HTTP requests sent to Dify.
  returned: always
  type: int
  sample: 6
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.args import LOGIN_CONSTRAINTS, argument_spec
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.client import DifyClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_api import PluginApi
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_package import PluginPackage
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.plugin_service import (
    PluginApplyError,
    apply_plan,
    check_packages,
    confirm,
    plan_absent,
    plan_present,
    read_current,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError, ValidationError


def module_argument_spec():
    return argument_spec(
        packages=dict(type="list", elements="path", default=[]),
        plugin_ids=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        replace=dict(type="bool", default=False),
        verify_keys=dict(type="list", elements="path", default=[], no_log=False),
        install_timeout=dict(type="int", default=900),
        poll_interval=dict(type="int", default=3),
        max_package_size=dict(type="int", default=52428800),
    )


def read_keys(paths):
    keys = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                keys.append(handle.read())
        except OSError as exc:
            raise ValidationError("cannot read verify_keys file %s: %s" % (path, exc)) from exc
    return keys


def run(module, client):
    params = module.params
    if params["state"] == "present" and params["plugin_ids"]:
        raise ValidationError("plugin_ids names plugins to remove: use it with state: absent")
    if params["install_timeout"] < 1 or params["poll_interval"] < 1:
        raise ValidationError("install_timeout and poll_interval must be at least 1 second")
    packages = [PluginPackage.read(path, params["max_package_size"]) for path in params["packages"]]
    if params["state"] == "present":
        check_packages(packages, read_keys(params["verify_keys"]))
    api = PluginApi(client)
    current = read_current(api)
    if params["state"] == "present":
        plan = plan_present(packages, current, replace=params["replace"])
    else:
        wanted = list(params["plugin_ids"]) + [package.plugin_id for package in packages]
        plan = plan_absent(sorted(set(wanted), key=wanted.index), current)
    warnings = list(plan.warnings)
    final = current
    if plan.changed and not module.check_mode:
        _done, apply_warnings = apply_plan(plan, api, timeout=params["install_timeout"],
                                           poll_interval=params["poll_interval"], sleep=time.sleep)
        warnings.extend(apply_warnings)
        final = read_current(api)
        confirm(plan, final)
    result = dict(
        changed=plan.changed,
        installed=sorted(final.values(), key=lambda view: view["plugin_id"] or ""),
        actions=[action.as_dict() for action in plan.actions],
        summary=plan.summary(),
        packages=[package.summary() for package in packages],
    )
    if module._diff:
        result["diff"] = plan.diff()
    return result, warnings


def main():
    module = AnsibleModule(argument_spec=module_argument_spec(), supports_check_mode=True, **LOGIN_CONSTRAINTS)
    client = None
    try:
        client = DifyClient.from_params(module.params)
        result, warnings = run(module, client)
    except PluginApplyError as exc:
        module.fail_json(msg=str(exc), changed=bool(exc.done), done=exc.done, request_count=client.request_count)
    except PlatformError as exc:
        module.fail_json(msg=str(exc), request_count=client.request_count if client else 0)
    for warning in warnings:
        module.warn(warning)
    result["request_count"] = client.request_count
    module.exit_json(**result)


if __name__ == "__main__":
    main()
