# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A static PEP 503 simple repository over a directory of wheels.

PEP 503 (https://peps.python.org/pep-0503/): ``<root>/index.html`` links every project,
``<root>/<normalized-name>/index.html`` links every file of the project, each URL with
a ``#sha256=<hex>`` fragment that pip and uv check. Project names are normalised
with ``re.sub(r"[-_.]+", "-", name).lower()``. Any static web server (or a
``file://`` URL) serves the tree read-only; pip (``--index-url``) and uv
(``UV_INDEX_URL`` / ``--index-url``) install from it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import os
import re
import shutil

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import sha256_file


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(filename):
    """The distribution name of a wheel file (``name-version-...whl``)."""
    return normalize(filename.split("-", 1)[0])


def render(files):
    """{relative path: bytes} of the index for {wheel name: sha256}."""
    projects = {}
    for name in sorted(files):
        projects.setdefault(project_of(name), []).append(name)
    pages = {}
    links = "".join('    <a href="%s/">%s</a><br/>\n' % (p, p) for p in sorted(projects))
    pages["index.html"] = ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
                           "<title>Simple index</title></head><body>\n%s</body></html>\n" % links).encode("utf-8")
    for project, names in projects.items():
        body = "".join('    <a href="../../files/%s#sha256=%s">%s</a><br/>\n'
                       % (html.escape(n, quote=True), files[n], html.escape(n)) for n in names)
        pages["%s/index.html" % project] = ("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" "
                                            "content=\"1.0\"><title>Links for %s</title></head><body>\n%s</body></html>\n"
                                            % (project, body)).encode("utf-8")
    return pages


def write(root, wheel_paths, dry_run=False):
    """Write ``<root>/files/<wheel>`` and ``<root>/simple/...`` for the given wheel files; return whether anything changed.

    With ``dry_run``, write nothing and return whether anything would change.
    """
    by_name = dict((os.path.basename(p), p) for p in wheel_paths)
    names = sorted(by_name)
    digests = dict((n, sha256_file(by_name[n])) for n in names)
    changed = False
    files_dir = os.path.join(root, "files")
    simple = os.path.join(root, "simple")
    if dry_run and not (os.path.isdir(files_dir) and os.path.isdir(simple)):
        return True
    os.makedirs(files_dir, exist_ok=True)
    for name in names:
        target = os.path.join(files_dir, name)
        if os.path.isfile(target) and os.path.getsize(target) == os.path.getsize(by_name[name]) \
                and sha256_file(target) == digests[name]:
            continue
        if dry_run:
            return True
        shutil.copyfile(by_name[name], target + ".tmp")
        os.replace(target + ".tmp", target)
        changed = True
    for stale in set(os.listdir(files_dir)) - set(names):
        if dry_run:
            return True
        os.unlink(os.path.join(files_dir, stale))
        changed = True
    pages = render(digests)
    for rel, data in pages.items():
        path = os.path.join(simple, rel)
        try:
            with open(path, "rb") as handle:
                if handle.read() == data:
                    continue
        except OSError:
            pass
        if dry_run:
            return True
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as handle:
            handle.write(data)
        os.replace(path + ".tmp", path)
        changed = True
    for project in set(os.listdir(simple)) - set(p.split("/")[0] for p in pages):
        if dry_run:
            return True
        shutil.rmtree(os.path.join(simple, project), ignore_errors=True)
        changed = True
    return changed
