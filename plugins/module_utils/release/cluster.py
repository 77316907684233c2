# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the cluster needs to pull from the mirror, computed from the release manifest.

* :func:`plan`: each image's source reference and its mirror reference;
* :func:`digest_mirrors` / :func:`tag_mirrors`: the ``source -> mirrors`` pairs of an
  ImageDigestMirrorSet (every repository) and an ImageTagMirrorSet (only the
  repositories that have an entry with a tag);
* :func:`registry_ca_key`: the key OpenShift's image configuration expects in its
  additionalTrustedCA ConfigMap (``host`` or ``host..port``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import (
    check_host,
    check_project,
    mirror_reference,
    mirror_repository,
)


def _project(entry, project):
    return entry.get("project") or project


def plan(manifest, registry, project):
    """One dict per image, sorted by name: name, source, destination, digest, tag, project."""
    check_host(registry, "mirror registry")
    check_project(project)
    result = []
    for name, entry in sorted(manifest["images"].items()):
        repo = mirror_repository(entry["repository"], registry, _project(entry, project))
        result.append({
            "name": name,
            "source": entry["reference"],
            "repository": entry["repository"],
            "mirror_repository": repo,
            "destination": mirror_reference(entry["repository"], entry["digest"], registry, _project(entry, project))
            if entry.get("digest") else "%s:%s" % (repo, entry["tag"]),
            "digest": entry.get("digest"),
            "tag": entry.get("tag"),
            "project": _project(entry, project),
        })
    return result


def _mirrors(entries, registry, project):
    pairs = {}
    for entry in entries:
        repo = mirror_repository(entry["repository"], registry, _project(entry, project))
        mirrors = pairs.setdefault(entry["repository"], [])
        if repo not in mirrors:
            mirrors.append(repo)
    return [{"source": source, "mirrors": sorted(mirrors)} for source, mirrors in sorted(pairs.items())]


def digest_mirrors(manifest, registry, project):
    """``[{"source": upstream repository, "mirrors": [mirror repository]}]`` for every image."""
    return _mirrors(manifest["images"].values(), registry, project)


def tag_mirrors(manifest, registry, project):
    """The same pairs, only for repositories with an entry that names a tag."""
    return _mirrors([e for e in manifest["images"].values() if e.get("tag")], registry, project)


def registry_ca_key(registry):
    """OpenShift's additionalTrustedCA key for a registry: ``host`` or ``host..port``."""
    check_host(registry, "mirror registry")
    if registry.startswith("["):
        return registry
    host, sep, port = registry.rpartition(":")
    return "%s..%s" % (host, port) if sep and port.isdigit() else registry
