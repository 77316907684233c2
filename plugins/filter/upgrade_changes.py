# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: upgrade_changes
short_description: The images a converge would change in the running platform (is this run an upgrade?)
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Takes the platform's live workloads (Deployments and StatefulSets as returned by C(k8s_info)) and the images the
    release manifest resolves to (C(dify_platform_images)), and returns one entry per container whose image differs
    from the manifest's.
  - A live image is paired with the manifest's entry of the same repository (the longest common tail of the path,
    e.g. C(langgenius/dify-api)), then compared with it by digest, so the same image mirrored under another registry
    or project is no change. A live image no entry pairs with is left out (it is not the manifest's to change).
  - An empty result is no upgrade; so is a first install, where no workload exists yet.
options:
  _input:
    description: The live workloads (Deployments, StatefulSets), each a Kubernetes resource.
    type: list
    elements: dict
    required: true
  images:
    description: The target images, name to reference (C(dify_platform_images)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Is this run an upgrade?
  ansible.builtin.set_fact:
    changes: "{{ workloads.resources | airgap.dify_platform.upgrade_changes(dify_platform_images) }}"
"""

RETURN = r"""
_value:
  description: One entry per container whose image changes, sorted; empty when nothing changes.
  type: list
  elements: dict
  contains:
    workload:
      description: C(Kind namespace/name) of the workload.
      type: str
    container:
      description: The container's name.
      type: str
    image:
      description: The manifest entry's name (a key of O(images)).
      type: str
    from:
      description: The running image reference.
      type: str
    to:
      description: The manifest's image reference.
      type: str
"""


def split_reference(reference):
    """``(repository path without the registry host, digest or tag)`` of an image reference."""
    name, digest = reference, ""
    if "@" in reference:
        name, digest = reference.split("@", 1)
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
        digest = digest or tag
    parts = name.split("/")
    # A first part with a dot or a port, or "localhost", is a registry host (the rule of distribution/reference).
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return parts, digest


def _common_tail(a, b):
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def pair(reference, images):
    """The name of the manifest entry whose repository ends like ``reference``'s (longest common tail), or None."""
    path, _digest = split_reference(reference)
    best, score = None, 0
    for name in sorted(images):
        tail = _common_tail(path, split_reference(images[name])[0])
        if tail > score:
            best, score = name, tail
    return best


def containers_of(workload):
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def workload_ref(workload):
    metadata = workload.get("metadata") or {}
    return "%s %s/%s" % (workload.get("kind"), metadata.get("namespace"), metadata.get("name"))


def upgrade_changes(workloads, images):
    """One entry per live container whose image pairs with a manifest entry but not with its digest."""
    targets = dict((name, ref) for name, ref in (images or {}).items() if ref)
    changes = []
    for workload in workloads or []:
        for container in containers_of(workload):
            image = container.get("image") or ""
            name = pair(image, targets) if image else None
            if name is None or split_reference(image)[1] == split_reference(targets[name])[1]:
                continue
            changes.append({"workload": workload_ref(workload), "container": container.get("name"), "image": name,
                            "from": image, "to": targets[name]})
    return sorted(changes, key=lambda c: (c["workload"], c["container"]))


class FilterModule:
    def filters(self):
        return {"upgrade_changes": upgrade_changes}
