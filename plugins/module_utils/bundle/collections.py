# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collection artifacts for the bundle: this collection and the collections it depends on.

A source tree (``galaxy.yml``) is built with ``ansible-galaxy collection build``. An
installed collection (``MANIFEST.json`` and ``FILES.json``, what ``ansible-galaxy
collection install`` and the ``ansible`` package leave) is packed again into the same
artifact format: a tar.gz whose root holds ``MANIFEST.json``, ``FILES.json`` and every
file ``FILES.json`` lists (ansible-core ``lib/ansible/galaxy/collection/__init__.py``,
``_build_collection_tar``). Each file is checked against its sha256 in ``FILES.json``
first, so a collection edited in place is refused rather than carried; and
``ansible-galaxy collection install`` checks them again on the other side.

The packing is deterministic (sorted, zero times and owners, gzip without a time), so
an unchanged installed collection gives the same bytes and the same archive parts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError, sha256_file

_SPEC = re.compile(r"^\s*(>=|<=|==|!=|>|<|=)?\s*([0-9][0-9A-Za-z.+-]*)\s*$")


def read_json(path):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def _version_tuple(version):
    core = re.split(r"[-+]", version, maxsplit=1)[0]
    return tuple(int(p) if p.isdigit() else 0 for p in core.split("."))


def satisfies(version, spec):
    """Galaxy's version ranges: ``*``, ``1.2.3``, ``>=5.0.0,<7.0.0``, ``!=1.0.0``."""
    if spec in (None, "", "*"):
        return True
    have = _version_tuple(version)
    for clause in str(spec).split(","):
        match = _SPEC.match(clause)
        if not match:
            raise BundleError("cannot read the version range %r" % spec)
        op, want = match.group(1) or "==", _version_tuple(match.group(2))
        ok = {">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want,
              "==": have == want, "=": have == want, "!=": have != want}[op]
        if not ok:
            return False
    return True


def installed_info(path):
    """(MANIFEST.json data, FILES.json data) of an installed collection directory."""
    try:
        return read_json(os.path.join(path, "MANIFEST.json")), read_json(os.path.join(path, "FILES.json"))
    except (OSError, ValueError) as exc:
        raise BundleError("%s is not an installed collection (MANIFEST.json, FILES.json): %s" % (path, exc)) from exc


def _tarinfo(name, size=0, directory=False):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = size
        info.mode = 0o644
    return info


def _usable(rel):
    return rel not in ("", ".") and not rel.startswith("/") and ".." not in rel.split("/")


def repack_installed(path, dest_dir):
    """Pack an installed collection into ``<ns>-<name>-<version>.tar.gz`` in dest_dir; return (file name, manifest).

    Files FILES.json lists but the installation lacks are left out, and FILES.json and the
    checksum of it in MANIFEST.json are written again without them: the ``ansible`` package
    on PyPI installs its collections without some of their files (``.github/`` and tests), and
    ``ansible-galaxy collection install`` refuses a tarball that lacks a listed file. A file
    that is there but differs from its sha256 is refused.
    """
    manifest, files = installed_info(path)
    info = manifest.get("collection_info") or {}
    name = "%s-%s-%s.tar.gz" % (info.get("namespace"), info.get("name"), info.get("version"))
    problems, kept = [], []
    for entry in files.get("files", []):
        rel = entry.get("name", "")
        if not _usable(rel):
            if rel == ".":
                kept.append(entry)
            continue
        full = os.path.join(path, rel)
        if entry.get("ftype") == "dir":
            if os.path.isdir(full):
                kept.append(entry)
        elif os.path.isfile(full):
            if sha256_file(full) != entry.get("chksum_sha256"):
                problems.append(rel)
            kept.append(entry)
    if problems:
        raise BundleError("the installed collection %s differs from its FILES.json (edited in place?): %s"
                          % (path, ", ".join(problems[:5])))
    with open(os.path.join(path, "FILES.json"), "rb") as handle:
        files_bytes = handle.read()
    with open(os.path.join(path, "MANIFEST.json"), "rb") as handle:
        manifest_bytes = handle.read()
    dropped = len(files.get("files", [])) - len(kept)
    if dropped:
        files_bytes = json.dumps(dict(files, files=kept), indent=4).encode("utf-8")
        file_manifest = dict(manifest.get("file_manifest_file") or {}, chksum_sha256=hashlib.sha256(files_bytes).hexdigest())
        manifest = dict(manifest, file_manifest_file=file_manifest)
        manifest_bytes = json.dumps(manifest, indent=4).encode("utf-8")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for meta, data in (("MANIFEST.json", manifest_bytes), ("FILES.json", files_bytes)):
            tar.addfile(_tarinfo(meta, len(data)), io.BytesIO(data))
        for entry in kept:
            rel = entry["name"]
            if not _usable(rel):
                continue
            if entry.get("ftype") == "dir":
                tar.addfile(_tarinfo(rel, directory=True))
            else:
                full = os.path.join(path, rel)
                with open(full, "rb") as handle:
                    tar.addfile(_tarinfo(rel, os.path.getsize(full)), handle)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped:
        zipped.write(raw.getvalue())
    tmp = os.path.join(dest_dir, ".%s.tmp-%d" % (name, os.getpid()))  # left out of the archive if a run dies here
    with open(tmp, "wb") as handle:
        handle.write(out.getvalue())
    os.replace(tmp, os.path.join(dest_dir, name))
    return name, manifest


def build_source(path, dest_dir, galaxy):
    """``ansible-galaxy collection build`` of a source tree into a temporary directory; return the artifact path."""
    tmp = tempfile.mkdtemp(prefix=".bundle-build.tmp-", dir=dest_dir)
    # These helpers take argv and env, no AnsibleModule: there is no run_command to call.
    # pylint: disable-next=ansible-bad-function
    proc = subprocess.run([galaxy, "collection", "build", path, "--output-path", tmp, "--force"],  # noqa: S603 - the configured ansible-galaxy
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    built = [n for n in os.listdir(tmp) if n.endswith(".tar.gz")]
    if proc.returncode != 0 or len(built) != 1:
        raise BundleError("ansible-galaxy collection build %s failed (rc %d): %s"
                          % (path, proc.returncode, proc.stdout.decode("utf-8", "replace")[-1500:]))
    return os.path.join(tmp, built[0])


def manifest_of_artifact(artifact):
    """The MANIFEST.json bytes of a collection artifact."""
    with tarfile.open(artifact, "r:gz") as tar:
        member = tar.extractfile("MANIFEST.json")
        if member is None:
            raise BundleError("%s holds no MANIFEST.json" % artifact)
        return member.read()


def find_installed(listing, fqcn):
    """The path and version of ``fqcn`` in ``ansible-galaxy collection list --format json`` output (first path wins)."""
    for root, collections in listing.items():
        found = collections.get(fqcn)
        if found is not None:
            return os.path.join(root, *fqcn.split(".")), found.get("version")
    return None, None


def list_installed(galaxy, collections_paths=None):
    env = dict(os.environ)
    if collections_paths:
        env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(collections_paths)
    # These helpers take argv and env, no AnsibleModule: there is no run_command to call.
    # pylint: disable-next=ansible-bad-function
    proc = subprocess.run([galaxy, "collection", "list", "--format", "json"],  # noqa: S603 - the configured ansible-galaxy
                          capture_output=True, env=env, check=False)
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except ValueError as exc:
        raise BundleError("ansible-galaxy collection list failed (rc %d): %s"
                          % (proc.returncode, proc.stderr.decode("utf-8", "replace")[-1000:])) from exc


def resolve_dependencies(manifest, listing):
    """Every installed collection ``manifest`` depends on, transitively: [(fqcn, path, version)]."""
    found, todo, seen = [], list(((manifest.get("collection_info") or {}).get("dependencies") or {}).items()), set()
    while todo:
        fqcn, spec = todo.pop(0)
        if fqcn in seen:
            continue
        seen.add(fqcn)
        path, version = find_installed(listing, fqcn)
        if path is None:
            raise BundleError("the collection %s (%s) is not installed on the mirror host; install it there "
                              "(ansible-galaxy collection install '%s:%s') and run again" % (fqcn, spec, fqcn, spec))
        if not satisfies(version, spec):
            raise BundleError("the installed %s is %s, outside %s" % (fqcn, version, spec))
        found.append((fqcn, path, version))
        dep_manifest, _files = installed_info(path)
        todo.extend(((dep_manifest.get("collection_info") or {}).get("dependencies") or {}).items())
    return found
