# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""disk_to_mirror: take the bundle out of the archive parts, check it, install and publish it offline.

* collections: ``ansible-galaxy collection install --offline -p <path> <tarballs>``
  (no Galaxy server is asked; dependencies resolve among the tarballs given);
* wheels: a virtualenv with ``pip install --no-index --find-links <wheels> -r requirements.txt``;
* publish: a static PEP 503 index of the wheels and a copy of the collection tarballs,
  for any web server, or an internal index's upload tool, to take from there.

Each step is skipped when its result is already there: a collection whose installed
MANIFEST.json is the tarball's, a virtualenv stamped with the wheels' key, a published
tree with the same files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import files, simple_index, transfer
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.collections import manifest_of_artifact

STAMP = ".airgap-bundle-wheels"


def _run(argv, what, env=None):
    # These helpers take argv and env, no AnsibleModule: there is no run_command to call.
    # pylint: disable-next=ansible-bad-function
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, check=False)  # noqa: S603 - argv built here
    if proc.returncode != 0:
        raise files.BundleError("%s failed (rc %d): %s" % (what, proc.returncode, proc.stdout.decode("utf-8", "replace")[-2000:]))
    return proc.stdout.decode("utf-8", "replace")


def offline_env():
    """No index reachable by accident: pip's index settings removed, --no-index set."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("PIP_INDEX", "PIP_EXTRA_INDEX")))
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


class Installer:
    def __init__(self, params, check_mode=False):
        self.p = params
        self.check_mode = check_mode
        self.store = params["store"]
        self.root = files.bundle_dir(self.store)
        self.report = {}
        self.changed = False
        self.taken_only_in_plan = False

    def take(self):
        """Extract the bundle from the parts when the store does not hold the same one; return the index."""
        began = time.time()
        archive_dir = self.p.get("archive_dir")
        status = "store"
        if archive_dir:
            prefix = self.p.get("archive_prefix") or transfer.find_prefix(archive_dir)
            wanted = transfer.archive_index(archive_dir, prefix)
            if wanted is None:
                raise files.BundleError("the archive parts in %s hold no bundle (run mirror_to_disk with mirror_bundle_parts)"
                                        % archive_dir)
            try:
                with open(os.path.join(self.root, files.INDEX), "rb") as handle:
                    have = handle.read()
            except OSError:
                have = None
            current = files.parse(wanted, "the archive's bundle index")
            if have != wanted or files.verify(self.root, current):
                status = "would_extract" if self.check_mode else "extracted"
                if not self.check_mode:
                    transfer.extract(archive_dir, prefix, self.store)
                    self.changed = True
                else:
                    self.changed = True
                    self.taken_only_in_plan = True
                    self.report["take"] = {"status": status, "seconds": round(time.time() - began, 2)}
                    return current
            else:
                status = "unchanged"
        index = files.load(self.root, required=True)
        problems = files.verify(self.root, index)
        if problems:
            raise files.BundleError("the bundle in %s does not match its index: %s" % (self.root, "; ".join(problems[:10])))
        self.report["take"] = {"status": status, "seconds": round(time.time() - began, 2),
                               "bytes": sum(f["size"] for f in index["files"].values())}
        return index

    def _tarballs(self, index):
        return [os.path.join(self.root, rel) for part in ("collection", "dependencies")
                for rel in files.files_of(index, part, "collections/")]

    def collections(self, index, path):
        began = time.time()
        tarballs = self._tarballs(index)
        todo = []
        for tarball in tarballs:
            if not os.path.isfile(tarball):  # check mode before extraction: the index alone
                todo.append(tarball)
                continue
            data = manifest_of_artifact(tarball)
            info = json.loads(data.decode("utf-8"))["collection_info"]
            installed = os.path.join(path, "ansible_collections", info["namespace"], info["name"], "MANIFEST.json")
            try:
                with open(installed, "rb") as handle:
                    if json.loads(handle.read().decode("utf-8")) == json.loads(data.decode("utf-8")):
                        continue
            except (OSError, ValueError):
                pass
            todo.append(tarball)
        self.changed = self.changed or bool(todo)
        if todo and not self.check_mode:
            _run([self.p["galaxy_path"], "collection", "install", "--offline", "--force", "-p", path, *tarballs],
                 "ansible-galaxy collection install --offline")
            self.changed = True
        self.report["collections"] = {"status": ("would_install" if self.check_mode else "installed") if todo else "unchanged",
                                      "path": path, "collections": [os.path.basename(t) for t in tarballs],
                                      "seconds": round(time.time() - began, 2)}

    def venv(self, index, venv):
        began = time.time()
        key = index["parts"].get("wheels", {}).get("key")
        if key is None:
            raise files.BundleError("the bundle holds no wheels part")
        stamp = os.path.join(venv, STAMP)
        try:
            with open(stamp) as handle:
                done = handle.read().strip() == key
        except OSError:
            done = False
        self.changed = self.changed or not done
        if not done and not self.check_mode:
            python = os.path.join(venv, "bin", "python")
            if not os.path.isfile(python):
                _run([self.p["venv_python"], "-m", "venv", venv], "creating the virtualenv %s" % venv)
            _run([python, "-m", "pip", "install", "--no-index", "--find-links", os.path.join(self.root, "wheels"),
                  "--requirement", os.path.join(self.root, "python", "requirements.txt")],
                 "pip install --no-index into %s" % venv, env=offline_env())
            with open(stamp, "w") as handle:
                handle.write(key + "\n")
            self.changed = True
        self.report["venv"] = {"status": "unchanged" if done else ("would_install" if self.check_mode else "installed"),
                               "path": venv, "seconds": round(time.time() - began, 2)}

    def publish(self, index, dest):
        began = time.time()
        wheel_paths = [os.path.join(self.root, rel) for part in ("wheels", "dify_plugins")
                       for rel in files.files_of(index, part) if rel.endswith(".whl")]
        copies = [(os.path.join(self.root, rel), os.path.join(dest, rel.split("/", 1)[0], rel.split("/", 1)[1]))
                  for rel in self._tarballs_rel(index) + files.files_of(index, "dify_plugins", "dify-plugins/")]
        changed = False
        if self.check_mode:
            # Before the extraction the files are not here to compare: anything taken anew is published anew.
            changed = self.taken_only_in_plan or simple_index.write(
                os.path.join(dest, "python"), wheel_paths, dry_run=True) or any(
                not os.path.isfile(target) or files.sha256_file(target) != files.sha256_file(source) for source, target in copies)
            self.changed = self.changed or changed
        else:
            changed = simple_index.write(os.path.join(dest, "python"), wheel_paths)
            for source, target in copies:
                if os.path.isfile(target) and files.sha256_file(target) == files.sha256_file(source):
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target + ".tmp")
                os.replace(target + ".tmp", target)
                changed = True
            self.changed = self.changed or changed
        self.report["publish"] = {"status": ("would_publish" if self.check_mode else "published") if changed else "unchanged",
                                  "path": dest, "index_url": "file://%s/python/simple/" % os.path.abspath(dest),
                                  "wheels": len(wheel_paths), "seconds": round(time.time() - began, 2)}

    def _tarballs_rel(self, index):
        return [rel for part in ("collection", "dependencies") for rel in files.files_of(index, part, "collections/")]

    def run(self):
        index = self.take()
        if self.p.get("collections_path"):
            self.collections(index, self.p["collections_path"])
        if self.p.get("venv"):
            self.venv(index, self.p["venv"])
        if self.p.get("publish_dir"):
            self.publish(index, self.p["publish_dir"])
        return {"changed": self.changed, "bundle": self.root, "parts": self.report,
                "contents": dict((name, len(part["files"])) for name, part in sorted(index["parts"].items()))}
