# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle's index: every non-image file of the transfer, with its size and sha256.

The bundle lives inside the mirror store, so the engine's archive parts carry it
with the images (one tar stream, one ``parts.json``)::

    <store>/bundle/index.json                       this index (kind, schema, parts, files)
    <store>/bundle/collections/<ns>-<name>-<v>.tar.gz  the collection and the collections it depends on
    <store>/bundle/python/requirements.txt          what the wheels were downloaded for
    <store>/bundle/wheels/*.whl                     the wheels, every chosen Python version and platform

Each part records a ``key``: the sha256 of its inputs. A rerun whose inputs did not
change and whose files still match the index leaves the part alone, so the index
bytes, and the archive parts made from them, stay the same.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError

KIND = "airgap.dify_platform/mirror-bundle"
SCHEMA = 1
DIRNAME = "bundle"
INDEX = "index.json"
CHUNK = 1 << 20


class BundleError(PlatformError):
    """A bundle part could not be made, is missing, or does not match its index."""


def bundle_dir(store):
    return os.path.join(store, DIRNAME)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def key_of(*values):
    """A stable sha256 of JSON-serialisable inputs."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode("utf-8")).hexdigest()


def dumps(data):
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")


def atomic_write(path, data):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    # A dot name with .tmp-: what the engine's archive leaves out (release/archive.py, _entries).
    tmp = os.path.join(directory or ".", ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def empty_index():
    return {"kind": KIND, "schema": SCHEMA, "parts": {}, "files": {}}


def load(root, required=False):
    path = os.path.join(root, INDEX)
    try:
        with open(path, "rb") as handle:
            return parse(handle.read(), path)
    except OSError as exc:
        if required:
            raise BundleError("cannot read the bundle index %s: %s" % (path, exc)) from exc
        return empty_index()


def parse(data, where):
    try:
        index = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise BundleError("%s is not JSON: %s" % (where, exc)) from exc
    if index.get("kind") != KIND or index.get("schema") != SCHEMA:
        raise BundleError("%s is not a mirror bundle index of schema %d" % (where, SCHEMA))
    return index


def record_files(root, rels):
    """{rel: {size, sha256}} of files under root."""
    return dict((rel, {"size": os.path.getsize(os.path.join(root, rel)), "sha256": sha256_file(os.path.join(root, rel))})
                for rel in sorted(rels))


def verify(root, index, names=None):
    """The problems of the files of ``names`` parts (all by default); empty when every file matches."""
    problems = []
    for name, part in sorted(index.get("parts", {}).items()):
        if names is not None and name not in names:
            continue
        for rel in part.get("files", []):
            expected = index["files"].get(rel)
            if expected is None or os.path.isabs(rel) or ".." in rel.split("/"):
                problems.append("%s: bad entry %r" % (name, rel))
                continue
            path = os.path.join(root, rel)
            try:
                size = os.path.getsize(path)
            except OSError:
                problems.append("%s is missing" % rel)
                continue
            if size != expected["size"]:
                problems.append("%s has %d bytes, the index says %d" % (rel, size, expected["size"]))
            elif sha256_file(path) != expected["sha256"]:
                problems.append("%s does not match its sha256 (corrupted)" % rel)
    return problems


def files_of(index, name, prefix=""):
    return [rel for rel in index.get("parts", {}).get(name, {}).get("files", []) if rel.startswith(prefix)]
