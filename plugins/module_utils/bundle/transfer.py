# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle inside the engine's archive parts (``release/archive.py``): read its index, extract it.

The parts are one deterministic tar of the store with the blobs last, so ``bundle/``
comes before any blob: reading the bundle never reads the images. Extraction first
checks every part against ``parts.json`` (sha256), as the engine does, and takes only
the members under ``bundle/``, with the engine's own path safety rules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import shutil
import tarfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import DIRNAME, INDEX, BundleError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive as archives

MEMBER = "%s/%s" % (DIRNAME, INDEX)


def parts_list(archive_dir, prefix):
    return archives.parts_file(archive_dir, prefix)


def find_prefix(archive_dir):
    try:
        found = sorted(n[: -len(".parts.json")] for n in os.listdir(archive_dir) if n.endswith(".parts.json"))
    except OSError as exc:
        raise BundleError("cannot read the archive directory %s: %s" % (archive_dir, exc)) from exc
    if len(found) != 1:
        raise BundleError("%s holds %s parts lists; set the archive prefix" % (archive_dir, len(found) or "no"))
    return found[0]


def _stream(archive_dir, prefix):
    record = archives._read_parts(archive_dir, prefix)  # pylint: disable=protected-access
    paths = [os.path.join(archive_dir, p["name"]) for p in record["parts"]]
    return io.BufferedReader(archives._Concat(paths), archives.CHUNK)  # pylint: disable=protected-access


def archive_index(archive_dir, prefix):
    """The bytes of ``bundle/index.json`` in the parts, or None when they hold no bundle."""
    try:
        return archives.read_member(archive_dir, prefix, MEMBER)
    except archives.ArchiveError:
        return None


def extract(archive_dir, prefix, store):
    """Verify every part, then extract ``bundle/`` into the store; return the number of files."""
    problems = archives.verify(archive_dir, prefix)
    if problems:
        raise BundleError("the transfer archive in %s failed verification, nothing was extracted: %s"
                          % (archive_dir, "; ".join(problems)))
    count = 0
    with tarfile.open(fileobj=_stream(archive_dir, prefix), mode="r|") as tar:
        for member in tar:
            if member.name.startswith("blobs/"):
                break
            if not (member.name == DIRNAME or member.name.startswith(DIRNAME + "/")):
                continue
            try:
                target = archives._safe(member, store)  # pylint: disable=protected-access
            except archives.ArchiveError as exc:
                raise BundleError(str(exc)) from exc
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            if not member.isreg():
                raise BundleError("the bundle holds %r, which is not a regular file" % member.name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target + ".tmp-unpack", "wb") as out:
                shutil.copyfileobj(tar.extractfile(member), out, archives.CHUNK)
            os.replace(target + ".tmp-unpack", target)
            count += 1
    return count
