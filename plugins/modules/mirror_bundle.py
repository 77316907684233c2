#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mirror_bundle
short_description: Carry this collection, the collections it needs and its Python wheels across the air gap
version_added: 0.1.0
description:
  - The non-image half of the mirror. With O(mode=mirror_to_disk) (connected host) it writes into the mirror store's
    C(bundle/) directory this collection's tarball (C(ansible-galaxy collection build) of a source tree, or the
    installed collection packed again and checked against its C(FILES.json)), the collections it depends on
    (transitively, taken from the collections installed on the host), and the Python wheels of the chosen requirements
    for the chosen Python versions and platforms (C(pip download --only-binary=:all:)). C(bundle/index.json) records
    each file's size and sha256 and each part's inputs.
  - The engine's archive parts carry the store, so the bundle travels in the same checksummed parts as the images. When
    the bundle changed, the parts list written before it is removed, so that the next archive write includes it.
  - With O(mode=disk_to_mirror) (bastion) it reads the bundle's index from the parts, extracts C(bundle/) when the store
    does not hold the same bundle (every part is checked against C(parts.json) first), checks every file against the
    index, then installs the collections with C(ansible-galaxy collection install --offline), the wheels into a
    virtualenv with C(pip install --no-index --find-links), and publishes the wheels as a static PEP 503 index.
  - Incremental. A part whose inputs and files did not change is left alone, and no index is asked. A rerun writes
    nothing and reports no change.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
attributes:
  check_mode:
    support: full
    description: Reports what would be written, extracted or installed; nothing is changed.
  diff_mode:
    support: none
    description: The result lists each part's status instead of a diff.
options:
  mode:
    description: C(mirror_to_disk) writes the bundle; C(disk_to_mirror) takes, checks, installs and publishes it.
    type: str
    required: true
    choices: [mirror_to_disk, disk_to_mirror]
  store:
    description: The mirror store (C(mirror_dir)/store); the bundle is its C(bundle/) directory.
    type: path
    required: true
  parts:
    description:
      - O(mode=mirror_to_disk) only. The parts to write; a part left out is dropped from the bundle.
      - C(dependencies) needs C(collection).
    type: list
    elements: str
    choices: [collection, dependencies, wheels, dify_plugins]
    default: [collection, dependencies, wheels]
  collection_source:
    description:
      - This collection on the host, a source tree with C(galaxy.yml) or an installed collection with C(MANIFEST.json).
      - Required for the C(collection) part.
    type: path
  collections_paths:
    description: Where to look for the installed dependencies (C(ANSIBLE_COLLECTIONS_PATH)); empty uses Ansible's configuration.
    type: list
    elements: path
    default: []
  galaxy_path:
    description: The C(ansible-galaxy) command; empty finds it next to the module's Python, then on the C(PATH).
    type: path
  python:
    description: The Python whose pip downloads the wheels (O(mode=mirror_to_disk)); empty is the module's own.
    type: path
  python_requirements:
    description: Requirement strings (C(ansible-core==2.19.14)) the wheels are for, besides O(python_requirement_files).
    type: list
    elements: str
    default: []
  python_requirement_files:
    description: Requirements files the wheels are for.
    type: list
    elements: path
    default: []
  python_versions:
    description: Python versions of the machines that install the wheels (pip's C(--python-version)).
    type: list
    elements: str
    default: ['3.11', '3.12']
  python_platforms:
    description: Platform tags of those machines (pip's C(--platform)); every tag a wheel may carry must be listed.
    type: list
    elements: str
    default: [manylinux2014_x86_64, manylinux_2_17_x86_64, manylinux_2_28_x86_64]
  python_implementation:
    description: Python implementation tag (pip's C(--implementation)).
    type: str
    default: cp
  pip_extra_args:
    description: More arguments for C(pip download), for example C(--index-url) of an internal mirror on the connected side.
    type: list
    elements: str
    default: []
  dify_plugins:
    description:
      - O(mode=mirror_to_disk), part C(dify_plugins). Dify plugin packages (C(.difypkg)) or plugin source directories.
      - Each goes into the bundle signed. A package's own signature (the marketplace's, a partner's) is kept. An unsigned
        package or a directory is signed with O(dify_plugin_signing_key), in the plugin daemon's format.
      - The wheels of each plugin's C(requirements.txt) are downloaded for the daemon's Python and platform. A package
        with only C(pyproject.toml) and C(uv.lock) is refused, because its lock names the public index.
    type: list
    elements: path
    default: []
  dify_plugin_dsl_files:
    description:
      - O(mode=mirror_to_disk), part C(dify_plugins). Dify DSL files whose C(dependencies) name the plugins to carry
        (Dify's C(PluginDependency), any type). Each is taken from O(dify_plugin_dir) by its author, name and version.
      - A plugin the directory does not hold fails the task, naming it and the DSL files that need it.
    type: list
    elements: path
    default: []
  dify_plugin_dir:
    description:
      - Directory of C(.difypkg) packages for O(dify_plugin_dsl_files). With O(dify_plugin_marketplace_url), the
        marketplace packages it lacks are downloaded into it.
    type: path
  dify_plugin_marketplace_url:
    description:
      - Dify's marketplace (C(MARKETPLACE_API_URL), U(https://marketplace.dify.ai) upstream), reachable from the connected
        side. The plugins the DSL files name as C(marketplace) dependencies and O(dify_plugin_dir) lacks are downloaded
        from it as Dify downloads them (C(/api/v1/plugins/<org>/<name>/<version>/download), langgenius/dify
        C(api/core/helper/marketplace.py)), checked to be the named plugin and signed, and kept in O(dify_plugin_dir).
      - Unset, nothing is downloaded and a missing plugin fails the task.
    type: str
  dify_plugin_max_package_size:
    description: Largest package downloaded from the marketplace, in bytes (Dify's C(PLUGIN_MAX_PACKAGE_SIZE) default).
    type: int
    default: 15728640
  dify_plugin_signing_key:
    description:
      - The operator's RSA private key (PEM, C(RSA PRIVATE KEY), as C(dify signature generate) writes it) that signs
        unsigned plugins. The daemon trusts its public key through C(THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS).
    type: path
  dify_plugin_python_versions:
    description: Python versions of the plugin daemon (its image runs Python 3.12).
    type: list
    elements: str
    default: ['3.12']
  dify_plugin_platforms:
    description: Platform tags of the plugin daemon's image (Ubuntu 24.04, glibc 2.39, x86_64).
    type: list
    elements: str
    default: [manylinux2014_x86_64, manylinux_2_17_x86_64, manylinux_2_28_x86_64, manylinux_2_34_x86_64]
  archive_dir:
    description:
      - Where the archive parts are. With O(mode=mirror_to_disk), a parts list that does not hold this bundle is removed.
      - With O(mode=disk_to_mirror), the bundle is read from these parts; empty reads the store as it is.
    type: path
  archive_prefix:
    description: The parts' name prefix; with O(mode=disk_to_mirror), empty finds the only parts list in O(archive_dir).
    type: str
  collections_path:
    description: O(mode=disk_to_mirror). Install the bundle's collections there (C(ansible-galaxy collection install -p)); empty skips it.
    type: path
  venv:
    description: O(mode=disk_to_mirror). Install the bundle's wheels into this virtualenv (created when missing); empty skips it.
    type: path
  venv_python:
    description: The Python that creates O(venv); empty is C(python3).
    type: path
  publish_dir:
    description:
      - O(mode=disk_to_mirror). Write there C(python/simple/) (a PEP 503 index of the wheels and the plugins' wheels),
        C(python/files/) (the wheels), C(collections/) (the tarballs) and C(dify-plugins/) (the signed plugin packages),
        for a web server to serve read-only; empty skips it. The plugin daemon's C(PIP_MIRROR_URL) points at
        C(python/simple/) served that way.
    type: path
notes:
  - The C(collection) and C(dependencies) parts read the collections installed on the host that runs the module.
"""

EXAMPLES = r"""
- name: Write the bundle into the mirror store (connected host)
  airgap.dify_platform.mirror_bundle:
    mode: mirror_to_disk
    store: /srv/mirror/store
    collection_source: "{{ playbook_dir }}/.."
    python_requirements: ["ansible-core=={{ ansible_version.full }}"]
    python_requirement_files: ["{{ playbook_dir }}/../meta/requirements-runtime.txt"]
    python_versions: ['3.11']
    archive_dir: /media/transfer
    archive_prefix: mirror-0.1.0

- name: Install it on the bastion, and publish the wheels as a simple index
  airgap.dify_platform.mirror_bundle:
    mode: disk_to_mirror
    store: /srv/mirror/store
    archive_dir: /media/transfer
    collections_path: /usr/share/ansible/collections
    venv: /opt/airgap-ansible
    publish_dir: /srv/pypi
"""

RETURN = r"""
changed:
  description: Whether a file was written, extracted or installed.
  returned: always
  type: bool
bundle:
  description: The bundle directory in the store.
  returned: always
  type: str
  sample: /srv/mirror/store/bundle
parts:
  description:
    - Per step, its C(status) (C(written), C(unchanged), C(would_write), C(extracted), C(installed), C(published), ...)
      and C(seconds); the parts written by O(mode=mirror_to_disk) also give C(files) and C(bytes).
  returned: always
  type: dict
  sample: {wheels: {status: unchanged, files: 44, bytes: 30146560, seconds: 0.2}}
bytes:
  description: Total size of the bundle's files.
  returned: when O(mode=mirror_to_disk)
  type: int
parts_invalidated:
  description: Whether the parts list in O(archive_dir) was removed because it did not hold this bundle.
  returned: when O(mode=mirror_to_disk)
  type: bool
contents:
  description: Number of files of each part of the bundle taken.
  returned: when O(mode=disk_to_mirror)
  type: dict
  sample: {collection: 1, dependencies: 1, wheels: 38, dify_plugins: 38}
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.collect import PARTS, Collector
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.install import Installer


# The plugin daemon's image: Python 3.12 on Ubuntu 24.04 (glibc 2.39), x86_64
# (dify-plugin-daemon docker/local.dockerfile).
DAEMON_PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"]


def argument_spec():
    return dict(
        mode=dict(type="str", required=True, choices=["mirror_to_disk", "disk_to_mirror"]),
        store=dict(type="path", required=True),
        parts=dict(type="list", elements="str", choices=list(PARTS), default=["collection", "dependencies", "wheels"]),
        collection_source=dict(type="path"),
        collections_paths=dict(type="list", elements="path", default=[]),
        galaxy_path=dict(type="path"),
        python=dict(type="path"),
        python_requirements=dict(type="list", elements="str", default=[]),
        python_requirement_files=dict(type="list", elements="path", default=[]),
        python_versions=dict(type="list", elements="str", default=["3.11", "3.12"]),
        python_platforms=dict(type="list", elements="str",
                              default=["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"]),
        python_implementation=dict(type="str", default="cp"),
        pip_extra_args=dict(type="list", elements="str", default=[]),
        dify_plugins=dict(type="list", elements="path", default=[]),
        dify_plugin_dsl_files=dict(type="list", elements="path", default=[]),
        dify_plugin_dir=dict(type="path"),
        dify_plugin_marketplace_url=dict(type="str"),
        dify_plugin_max_package_size=dict(type="int", default=15728640),
        dify_plugin_signing_key=dict(type="path", no_log=False),
        dify_plugin_python_versions=dict(type="list", elements="str", default=["3.12"]),
        dify_plugin_platforms=dict(type="list", elements="str", default=DAEMON_PLATFORMS),
        archive_dir=dict(type="path"),
        archive_prefix=dict(type="str"),
        collections_path=dict(type="path"),
        venv=dict(type="path"),
        venv_python=dict(type="path"),
        publish_dir=dict(type="path"),
    )


def galaxy_command(module):
    if module.params["galaxy_path"]:
        return module.params["galaxy_path"]
    beside = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    return beside if os.path.isfile(beside) else module.get_bin_path("ansible-galaxy", required=True)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = dict(module.params)
    if params["mode"] == "mirror_to_disk":
        if "dependencies" in params["parts"] and "collection" not in params["parts"]:
            module.fail_json(msg="the dependencies part needs the collection part")
        if "collection" in params["parts"] and not params["collection_source"]:
            module.fail_json(msg="the collection part needs collection_source")
        if "dify_plugins" in params["parts"] and not (params["dify_plugins"] or params["dify_plugin_dsl_files"]):
            module.fail_json(msg="the dify_plugins part needs dify_plugins or dify_plugin_dsl_files")
        if params["dify_plugin_marketplace_url"] and not params["dify_plugin_dir"]:
            module.fail_json(msg="dify_plugin_marketplace_url needs dify_plugin_dir, where the downloaded packages are kept")
    params["galaxy_path"] = galaxy_command(module)
    params["python"] = params["python"] or sys.executable
    params["venv_python"] = params["venv_python"] or "python3"
    try:
        if params["mode"] == "mirror_to_disk":
            result = Collector(params, check_mode=module.check_mode).run()
        else:
            result = Installer(params, check_mode=module.check_mode).run()
    except PlatformError as exc:
        module.fail_json(msg=str(exc), error=type(exc).__name__)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
