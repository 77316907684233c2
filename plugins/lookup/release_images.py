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
  - The keys listed in O(tagged) also name the manifest's version as the tag,
    C(<registry>/<project>/<upstream path>:<version>@sha256:<digest>); they are still pulled by digest.
  - A tag-only reference is refused, in the manifest and in O(overrides), with an error naming the entry;
    an override of a key in O(tagged) must carry a tag as well as the digest.
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
  tagged:
    description:
      - Keys whose reference carries the manifest's tag (or else its version) besides the digest.
      - For the readers that need one, such as CloudNativePG's webhook, which refuses an C(imageName)
        without a tag (it reads the PostgreSQL version from the tag).
    type: list
    elements: str
    default: []
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


def resolve(manifest, registry, project, overrides, tagged=()):
    """Map every image key to its mirror reference; overrides must be pinned by digest.

    The keys in ``tagged`` name the manifest's version as the tag too
    (``...:<version>@sha256:...``), and their overrides must carry a tag.
    """
    images = {}
    unknown = sorted(set(tagged) - set(manifest["images"]))
    if unknown:
        raise ValidationError("tagged images %s: no such image in the release manifest" % ", ".join(unknown))
    for key, image in manifest["images"].items():
        tag = None
        if key in tagged:
            # The manifest's tag when it records one, else its version (the upstream tag in this manifest).
            tag = image.get("tag") or image.get("version")
            if not tag:
                raise ValidationError("release manifest image %s: needs a tag or a version to name in its reference" % key)
        images[key] = mirror_reference(image["repository"], image["digest"], registry, image.get("project") or project, tag)
    for key, reference in overrides.items():
        what = "dify_platform_image_overrides.%s" % key
        if key not in images:
            raise ValidationError("%s: no such image in the release manifest (known: %s)" % (what, ", ".join(sorted(images))))
        if not parse_reference(reference, what)["digest"]:
            raise ValidationError("%s: %r is not pinned by digest; write <registry>/<repository>@sha256:<64 hex digits>, "
                                  "a tag-only reference is refused" % (what, reference))
        if key in tagged and not parse_reference(reference, what)["tag"]:
            raise ValidationError("%s: %r has no tag; this image's consumers need one besides the digest, "
                                  "write <registry>/<repository>:<version>@sha256:<64 hex digits>" % (what, reference))
        images[key] = reference
    return images


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        path = self.get_option("manifest") or os.path.normpath(SHIPPED_MANIFEST)
        try:
            manifest = load_manifest(path)
            return [resolve(manifest, self.get_option("registry"), self.get_option("project"),
                            self.get_option("overrides"), self.get_option("tagged"))]
        except ValidationError as exc:
            raise AnsibleError(str(exc)) from exc
