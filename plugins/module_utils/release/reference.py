# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: parse, validate and rewrite ``host/path[:tag][@digest]``.

The grammar is the one of distribution's ``reference`` package (the one every
container tool shares): a registry host (a DNS name or IP, optionally with a
port), then lowercase path components, then an optional tag and an optional
digest. Only sha256 digests are accepted: it is what registries, CRI-O and
ImageDigestMirrorSet use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
COMPONENT_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
HOST_RE = re.compile(
    r"^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$"
)
# Harbor's rule for project names (src/common/utils/utils.go, ProjectNameRegex upstream).
PROJECT_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


def is_digest(value):
    return isinstance(value, str) and bool(DIGEST_RE.match(value))


def looks_like_host(component):
    """distribution's rule: the first component is a registry host when it has a dot or a port, or is localhost."""
    return "." in component or ":" in component or component == "localhost" or component.startswith("[")


def check_host(host, what="registry"):
    if not isinstance(host, str) or not HOST_RE.match(host):
        raise ValidationError("%s %r is not a registry host (name or IP, optionally :port, no scheme)" % (what, host))
    return host


def check_path(path, what):
    if not path:
        raise ValidationError("%s has no repository path" % what)
    if len(path) > 255:
        raise ValidationError("%s: repository path is longer than 255 characters" % what)
    for component in path.split("/"):
        if not COMPONENT_RE.match(component):
            raise ValidationError(
                "%s: repository path component %r is invalid (lowercase letters, digits and single separators . _ __ -)"
                % (what, component))
    return path


def check_project(project):
    if not isinstance(project, str) or not PROJECT_RE.match(project) or len(project) > 255:
        raise ValidationError(
            "project %r is not a valid Harbor project name (lowercase letters, digits, and . _ - between them)" % (project,))
    return project


def parse_reference(text, what="reference"):
    """Split ``host/path[:tag][@sha256:...]`` into a dict; the host is required.

    Returns ``{"registry", "path", "repository", "tag", "digest"}`` (tag and
    digest may be None). Short names such as ``redis`` or ``library/redis`` are
    refused: which registry they mean depends on the host's configuration, and a
    release must not.
    """
    if not isinstance(text, str) or not text or text != text.strip():
        raise ValidationError("%s must be a non-empty string without spaces, got %r" % (what, text))
    digest = None
    rest = text
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not is_digest(digest):
            raise ValidationError("%s %r: %r is not a sha256 digest (sha256: and 64 lowercase hex digits)" % (what, text, digest))
    tag = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1:]
        if not TAG_RE.match(tag):
            raise ValidationError("%s %r: %r is not a valid tag" % (what, text, tag))
    if "/" not in rest or not looks_like_host(rest.split("/", 1)[0]):
        raise ValidationError(
            "%s %r has no registry host; write it in full, for example docker.io/library/redis" % (what, text))
    registry, path = rest.split("/", 1)
    check_host(registry, "%s %r: registry" % (what, text))
    check_path(path, "%s %r" % (what, text))
    return {"registry": registry, "path": path, "repository": rest, "tag": tag, "digest": digest}


def mirror_repository(repository, registry, project):
    """``<registry>/<project>/<path>``: where ``repository`` lives in the mirror.

    The upstream registry host is dropped and the rest of the path is kept, so
    ``docker.io/langgenius/dify-api`` becomes ``<registry>/<project>/langgenius/dify-api``.
    """
    parsed = parse_reference(repository, "repository")
    if parsed["tag"] or parsed["digest"]:
        raise ValidationError("repository %r must not carry a tag or digest" % (repository,))
    check_host(registry, "mirror registry")
    check_project(project)
    return "%s/%s/%s" % (registry, project, parsed["path"])


def mirror_reference(repository, digest, registry, project, tag=None):
    """``<registry>/<project>/<path>[:<tag>]@<digest>``: the mirror copy of ``repository@digest``.

    With ``tag`` the reference names the tag too; it is still pulled by digest
    (the runtime resolves ``name:tag@digest`` by the digest alone), the tag only
    informs readers of the reference such as CloudNativePG's webhook.
    """
    if not is_digest(digest):
        raise ValidationError("%r is not a sha256 digest; a mirror reference is always by digest" % (digest,))
    mirrored = mirror_repository(repository, registry, project)
    if tag is not None:
        if not isinstance(tag, str) or not TAG_RE.match(tag):
            raise ValidationError("%r is not a valid tag for %s" % (tag, repository))
        mirrored = "%s:%s" % (mirrored, tag)
    return "%s@%s" % (mirrored, digest)
