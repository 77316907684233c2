# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release manifest: every image of the platform, pinned by digest.

``load_manifest(path)`` reads ``release/manifest.yml`` (format in its header),
validates it completely and returns a normalised dict; any problem raises
``ValidationError`` naming the entry and the field. It is shared by the mirror
role (what to copy), the cluster configuration (what to mirror) and the deploy
roles' filter (how to rewrite an image to the mirror)::

    {"schema": 1, "release": "0.1.0",
     "images": {"<name>": {"name", "repository", "registry", "path", "digest",
                           "tag", "version", "source", "project", "reference"}}}

``reference`` is ``repository@digest``. A tag-only entry (``tag:`` or
``repository: host/path:tag`` and no digest) is refused unless
``allow_tags=True``, in which case its ``digest`` is None until the mirror
resolves and records it (``mirror_resolve_tags``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.reference import (  # noqa: F401 - re-exported  # pylint: disable=unused-import
    check_project,
    is_digest,
    mirror_reference,
    mirror_repository,
    parse_reference,
)

SCHEMA = 1
ENTRY_KEYS = frozenset(("repository", "digest", "tag", "version", "source", "project"))
NAME_MAX = 63


if HAS_YAML:
    class _UniqueKeyLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that refuses duplicate keys: a second entry must not silently replace the first."""

    def _construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValidationError("duplicate key %r at line %d" % (key, key_node.start_mark.line + 1))
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_manifest(path, allow_tags=False):
    """Read, validate and normalise the manifest at ``path``."""
    if not HAS_YAML:  # pragma: no cover
        raise ValidationError("PyYAML is required to read the release manifest")
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except OSError as exc:
        raise ValidationError("cannot read the release manifest %s: %s" % (path, exc)) from exc
    except UnicodeDecodeError as exc:
        raise ValidationError("release manifest %s is not UTF-8: %s" % (path, exc)) from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except ValidationError as exc:
        raise ValidationError("release manifest %s: %s" % (path, exc)) from exc
    except yaml.YAMLError as exc:
        raise ValidationError("release manifest %s is not valid YAML: %s" % (path, exc)) from exc
    return parse_manifest(data, allow_tags=allow_tags, origin=str(path))


def parse_manifest(data, allow_tags=False, origin="release manifest"):
    """Validate and normalise an already-parsed manifest document."""
    if not isinstance(data, dict):
        raise ValidationError("%s: the document must be a mapping with schema, release and images" % origin)
    if data.get("schema") != SCHEMA:
        raise ValidationError("%s: schema must be %d, got %r" % (origin, SCHEMA, data.get("schema")))
    release = data.get("release")
    if release is None or isinstance(release, (dict, list)) or str(release) == "":
        raise ValidationError("%s: release must name the release, for example 0.1.0" % origin)
    images = data.get("images")
    if not isinstance(images, dict) or not images:
        raise ValidationError("%s: images must be a non-empty mapping of name to image" % origin)
    result = {}
    for name, entry in images.items():
        result[str(name)] = parse_entry(name, entry, allow_tags=allow_tags, origin=origin)
    return {"schema": SCHEMA, "release": str(release), "images": result}


def _check_name(name, origin):
    text = str(name)
    if not text or len(text) > NAME_MAX or not all(c.isalnum() or c in "-_." for c in text) or not text[0].isalnum():
        raise ValidationError(
            "%s: image name %r must be 1-%d letters, digits, '-', '_' or '.', starting with a letter or digit"
            % (origin, name, NAME_MAX))
    return text


def parse_entry(name, entry, allow_tags=False, origin="release manifest"):
    """Validate one ``images`` entry and return its normalised form."""
    name = _check_name(name, origin)
    where = "%s: image %s" % (origin, name)
    if not isinstance(entry, dict):
        raise ValidationError("%s must be a mapping with at least repository and digest" % where)
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ValidationError("%s: unknown field(s) %s; known: %s" % (where, ", ".join(map(str, unknown)), ", ".join(sorted(ENTRY_KEYS))))
    if "repository" not in entry:
        raise ValidationError("%s has no repository" % where)
    parsed = parse_reference(entry["repository"], "%s: repository" % where)
    digest = entry.get("digest")
    if digest is not None and not is_digest(digest):
        raise ValidationError("%s: digest %r is not sha256: followed by 64 lowercase hex digits" % (where, digest))
    if parsed["digest"]:
        if digest and digest != parsed["digest"]:
            raise ValidationError("%s: the repository's @digest and the digest field disagree" % where)
        digest = parsed["digest"]
    tag = entry.get("tag")
    if tag is not None:
        tag = str(tag)
        if parsed["tag"] and parsed["tag"] != tag:
            raise ValidationError("%s: the repository's :tag and the tag field disagree" % where)
        if not parse_reference("%s:%s" % (parsed["repository"], tag), where)["tag"]:  # pragma: no cover
            raise ValidationError("%s: invalid tag %r" % (where, tag))
    else:
        tag = parsed["tag"]
    if digest is None:
        if tag is None:
            raise ValidationError("%s has no digest; pin it as digest: sha256:<64 hex digits>" % where)
        if not allow_tags:
            raise ValidationError(
                "%s is a tag-only reference (%s:%s); tags move, so a release pins digests. "
                "Add its digest, or set resolve_tags (mirror_resolve_tags) to pin the tag's current digest and record it"
                % (where, parsed["repository"], tag))
    project = entry.get("project")
    if project is not None:
        check_project(project)
    version = entry.get("version")
    source = entry.get("source")
    return {
        "name": name,
        "repository": parsed["repository"],
        "registry": parsed["registry"],
        "path": parsed["path"],
        "digest": digest,
        "tag": tag,
        "version": None if version is None else str(version),
        "source": None if source is None else str(source),
        "project": project,
        "reference": "%s@%s" % (parsed["repository"], digest) if digest else "%s:%s" % (parsed["repository"], tag),
    }


def pinned(entry, digest):
    """A copy of a tag-only ``entry`` pinned to ``digest`` (what resolve_tags records)."""
    if not is_digest(digest):
        raise ValidationError("image %s: resolved digest %r is not a sha256 digest" % (entry.get("name"), digest))
    result = dict(entry)
    result["digest"] = digest
    result["reference"] = "%s@%s" % (entry["repository"], digest)
    return result
