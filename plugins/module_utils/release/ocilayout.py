# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror's on-disk store: one OCI image layout, blobs shared by every image.

::

    <store>/oci-layout            {"imageLayoutVersion": "1.0.0"}
    <store>/index.json            every image, ref name = its manifest key (written last)
    <store>/blobs/sha256/<hex>    every manifest, config and layer, once
    <store>/refs/<name>/          skopeo's per-image layout (its index.json), blobs in the shared dir

skopeo writes each image into its own small layout under ``refs/`` with
``--dest-shared-blob-dir <store>/blobs``, so that parallel copies never write
the same index.json and a blob shared by many images is stored once. The
top-level index.json makes ``<store>`` itself a standard OCI layout.

This module reads manifests to walk an image's closure (index -> manifests ->
config and layers), checks blobs against their digests, and writes the top
index. It never talks to a registry.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
import contextlib

INDEX_TYPES = frozenset((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
))
MANIFEST_TYPES = frozenset((
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
CHUNK = 1 << 20
TEMP_PREFIXES = ("oci-put-blob", ".tmp-", "tmp-")


class LayoutError(PlatformError):
    """The store is missing something or holds something that does not match its digest."""


def hex_of(digest):
    algo, _sep, value = digest.partition(":")
    if algo != "sha256" or len(value) != 64:
        raise LayoutError("unsupported digest %r" % (digest,))
    return value


def blob_path(store, digest):
    return os.path.join(store, "blobs", "sha256", hex_of(digest))


def ref_dir(store, name):
    return os.path.join(store, "refs", name)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def parse_manifest(data, digest="manifest"):
    """(media type, child descriptors, kind) of a manifest or index document."""
    try:
        doc = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except ValueError as exc:
        raise LayoutError("%s is not JSON: %s" % (digest, exc)) from exc
    media = doc.get("mediaType")
    if media in INDEX_TYPES or (media is None and "manifests" in doc):
        return media or OCI_INDEX, list(doc.get("manifests") or []), "index"
    if media in MANIFEST_TYPES or (media is None and "layers" in doc):
        children = [doc["config"]] if doc.get("config") else []
        children += list(doc.get("layers") or [])
        return media or "application/vnd.oci.image.manifest.v1+json", children, "image"
    raise LayoutError("%s has unsupported media type %r (schema 1 images are not supported)" % (digest, media))


def platform_of(descriptor):
    platform = descriptor.get("platform") or {}
    text = "%s/%s" % (platform.get("os", "?"), platform.get("architecture", "?"))
    if platform.get("variant"):
        text += "/" + platform["variant"]
    return text


class Closure:
    """Everything one image needs: its manifests and blobs with their sizes."""

    def __init__(self, digest):
        self.digest = digest
        self.media_type = None
        self.manifests = {}  # digest -> size (index and image manifests)
        self.blobs = {}  # digest -> size (configs and layers)
        self.platforms = []
        self.children = []  # descriptors of the index's images, when it is an index

    @property
    def all(self):
        result = dict(self.blobs)
        result.update(self.manifests)
        return result

    @property
    def size(self):
        return sum(self.all.values())


def walk(digest, fetch, platforms=None):
    """Walk the closure of ``digest``; ``fetch(digest) -> bytes`` returns a manifest.

    ``platforms`` (a set of ``os/arch[/variant]`` or ``arch``) limits an index's
    images to the chosen ones; the index itself is kept as it is, so its digest
    does not change (a sparse index).
    """
    closure = Closure(digest)
    data = fetch(digest)
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise LayoutError("manifest %s does not match its digest" % digest)
    media, children, kind = parse_manifest(data, digest)
    closure.media_type = media
    closure.manifests[digest] = len(data)
    if kind == "index":
        for child in children:
            if child.get("mediaType") not in MANIFEST_TYPES and child.get("mediaType") not in INDEX_TYPES:
                continue  # attestations and other artifacts ride along when the whole index is copied
            if platforms and not _chosen(child, platforms):
                continue
            closure.children.append(child)
            closure.platforms.append(platform_of(child))
            sub = walk(child["digest"], fetch)
            closure.manifests.update(sub.manifests)
            closure.blobs.update(sub.blobs)
        if platforms and not closure.children:
            raise LayoutError("index %s has none of the platforms %s" % (digest, ", ".join(sorted(platforms))))
    else:
        for child in children:
            closure.blobs[child["digest"]] = int(child.get("size") or 0)
    return closure


def _chosen(descriptor, platforms):
    platform = descriptor.get("platform") or {}
    full = platform_of(descriptor)
    return full in platforms or platform.get("architecture") in platforms or full.rsplit("/", 1)[0] in platforms


def local_fetch(store):
    def fetch(digest):
        path = blob_path(store, digest)
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise LayoutError("manifest %s is missing from %s: %s" % (digest, store, exc)) from exc
    return fetch


def missing_blobs(store, closure, verify=False):
    """Digests of the closure absent from the store (or, with ``verify``, whose content does not match)."""
    missing = []
    for digest, size in sorted(closure.all.items()):
        path = blob_path(store, digest)
        try:
            actual = os.path.getsize(path)
        except OSError:
            missing.append(digest)
            continue
        if (size and actual != size) or (verify and sha256_file(path) != digest):
            missing.append(digest)
    return missing


def ref_digest(store, name):
    """The manifest digest skopeo recorded for ``refs/<name>``; None when absent."""
    path = os.path.join(ref_dir(store, name), "index.json")
    try:
        with open(path, "rb") as handle:
            index = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    for desc in index.get("manifests") or []:
        if (desc.get("annotations") or {}).get(REF_ANNOTATION) == name:
            return desc.get("digest")
    return None


def write_top_index(store, images):
    """Write ``<store>/index.json`` and ``oci-layout``: one descriptor per image, by name.

    ``images`` maps name -> (digest, media type, size).
    """
    manifests = []
    for name in sorted(images):
        digest, media, size = images[name]
        manifests.append({"mediaType": media, "digest": digest, "size": size, "annotations": {REF_ANNOTATION: name}})
    atomic_write(os.path.join(store, "oci-layout"), json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    atomic_write(os.path.join(store, "index.json"), json.dumps(index, indent=1, sort_keys=True).encode())


def clean_temporaries(store):
    """Remove partial blob files an interrupted copy left behind; return how many."""
    directory = os.path.join(store, "blobs", "sha256")
    removed = 0
    if not os.path.isdir(directory):
        return 0
    for name in os.listdir(directory):
        if name.startswith(TEMP_PREFIXES) or (len(name) != 64 and not name.startswith(".")):
            try:
                os.unlink(os.path.join(directory, name))
                removed += 1
            except OSError:
                pass
    return removed


def atomic_write(path, data, mode=0o644, durable=True):
    """Write ``data`` to ``path`` through a temporary file and a rename: never half-written.

    ``durable``: flushed to the disk before the rename (what a crash must not lose); a file
    only watched while the run goes on (its progress) is written without.
    """
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
