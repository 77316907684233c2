# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: release_images
short_description: Every image of the release manifest, rewritten to the mirror registry
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Reads the release manifest (every image pinned by digest) and returns a dictionary
    from each image's key to its reference in the mirror,
    C(<registry>/<project>/<upstream path>@sha256:<digest>).
  - A tag-only reference is refused, in the manifest and in O(overrides), with an error naming the entry.
options:
  manifest:
    description: Path of the release manifest. Empty means the one shipped with the collection.
    type: str
    default: ""
  registry:
    description: Host (and optional port) of the mirror registry.
    type: str
    required: true
  project:
    description: Harbor project holding the images.
    type: str
    required: true
  overrides:
    description: Per-key replacements, each a full reference pinned by digest, used as given.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Resolve the images once
  ansible.builtin.set_fact:
    images: "{{ lookup('airgap.dify_platform.release_images', registry='harbor.example.internal', project='dify-platform') }}"
"""

RETURN = r"""
_raw:
  description: One dictionary, from image key to the mirrored reference.
  type: list
  elements: dict
"""

import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.manifest import load_manifest
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import (
    mirror_reference,
    parse_reference,
)

SHIPPED_MANIFEST = os.path.join(os.path.dirname(__file__), "..", "..", "release", "manifest.yml")


def resolve(manifest, registry, project, overrides):
    """Map every image key to its mirror reference; overrides must be pinned by digest."""
    images = {}
    for key, image in manifest["images"].items():
        images[key] = mirror_reference(image["repository"], image["digest"], registry, image.get("project") or project)
    for key, reference in overrides.items():
        what = "dify_platform_image_overrides.%s" % key
        if key not in images:
            raise ValidationError("%s: no such image in the release manifest (known: %s)" % (what, ", ".join(sorted(images))))
        if not parse_reference(reference, what)["digest"]:
            raise ValidationError("%s: %r is not pinned by digest; write <registry>/<repository>@sha256:<64 hex digits>, "
                                  "a tag-only reference is refused" % (what, reference))
        images[key] = reference
    return images


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        path = self.get_option("manifest") or os.path.normpath(SHIPPED_MANIFEST)
        try:
            manifest = load_manifest(path)
            return [resolve(manifest, self.get_option("registry"), self.get_option("project"), self.get_option("overrides"))]
        except ValidationError as exc:
            raise AnsibleError(str(exc)) from exc
