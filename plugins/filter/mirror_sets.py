# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mirror_sets
short_description: The source-to-mirror pairs of an ImageDigestMirrorSet and an ImageTagMirrorSet
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - From the release manifest, returns C(digest) (every upstream repository and its mirror, for an
    ImageDigestMirrorSet) and C(tag) (only repositories with an entry that names a tag, for an ImageTagMirrorSet).
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
    description: Accept tag-only entries.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Pairs for the mirror sets
  ansible.builtin.set_fact:
    pairs: "{{ mirror_manifest_path | airgap.dify_platform.mirror_sets('harbor.example.com', 'dify-mirror') }}"
"""

RETURN = r"""
_value:
  description: C(digest) and C(tag), each a list of {source, mirrors}; and C(ca_key), the registry's additionalTrustedCA key.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import cluster
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest


def mirror_sets(path, registry, project, resolve_tags=False):
    try:
        manifest = load_manifest(path, allow_tags=resolve_tags)
        return {"digest": cluster.digest_mirrors(manifest, registry, project),
                "tag": cluster.tag_mirrors(manifest, registry, project),
                "ca_key": cluster.registry_ca_key(registry)}
    except ValidationError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"mirror_sets": mirror_sets}
