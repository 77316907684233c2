# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mirror_plan
short_description: Each image of the release manifest with its mirror reference
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Reads and validates the release manifest (a tag-only entry is refused unless O(resolve_tags))
    and returns one entry per image, sorted by name, with where the mirror keeps it,
    C(<registry>/<project>/<upstream path>@sha256:<digest>).
options:
  _input:
    description: Path of the release manifest.
    type: path
    required: true
  registry:
    description: Host (and optional port) of the mirror registry.
    type: str
    required: true
  project:
    description: Project of the mirror, unless an entry names its own.
    type: str
    required: true
  resolve_tags:
    description: Accept tag-only entries (their digest is null until the mirror pins them).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Show what the mirror will hold
  ansible.builtin.debug:
    msg: "{{ mirror_manifest_path | airgap.dify_platform.mirror_plan('harbor.example.com', 'dify-mirror') }}"
"""

RETURN = r"""
_value:
  description: One dict per image with name, source, repository, mirror_repository, destination, digest, tag and project.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import cluster
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest


def mirror_plan(path, registry, project, resolve_tags=False):
    try:
        return cluster.plan(load_manifest(path, allow_tags=resolve_tags), registry, project)
    except ValidationError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"mirror_plan": mirror_plan}
