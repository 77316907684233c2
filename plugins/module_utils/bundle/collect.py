# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mirror_to_disk: write the bundle's parts into the mirror store, each only when its inputs changed.

Parts: ``collection`` (this collection), ``dependencies`` (the collections it depends
on, transitively) and ``wheels`` (the Python wheels). The index is rewritten only when
a part changed; then the archive parts made before no longer hold this bundle, and
their parts list is removed so that the engine writes them again (it reuses parts whose
inventory did not change, and the bundle is not in the image inventory).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import collections as colls
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg, dsl_plugins, files, marketplace, wheels
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.transfer import archive_index, parts_list

PARTS = ("collection", "dependencies", "wheels", "dify_plugins")


def source_stamp(source):
    """Path, size and modification time of every file of a source tree (.git aside)."""
    entries = []
    for top, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(names):
            path = os.path.join(top, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            entries.append((os.path.relpath(path, source), stat.st_size, stat.st_mtime_ns))
    return files.key_of(entries)


class Collector:
    """Make the chosen parts under ``<store>/bundle``; ``run()`` returns the result dict."""

    def __init__(self, params, check_mode=False):
        self.p = params
        self.check_mode = check_mode
        self.root = files.bundle_dir(params["store"])
        self.old = files.load(self.root)
        self.index = {"kind": files.KIND, "schema": files.SCHEMA, "parts": {}, "files": {}}
        self.report = {}
        self._listing = None
        self._stamp_update = None
        # Outside the store, so that it never reaches the archive parts.
        self.stamp_path = os.path.join(os.path.dirname(os.path.abspath(params["store"])), ".bundle-source-stamp.json")

    def _stamp(self):
        try:
            with open(self.stamp_path, "rb") as handle:
                return json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return {}

    # -- helpers -------------------------------------------------------------------------------
    def _unchanged(self, name, key):
        part = self.old["parts"].get(name)
        if not part or part.get("key") != key:
            return False
        if files.verify(self.root, self.old, names=[name]):
            return False
        self._keep(name)
        return True

    def _keep(self, name):
        part = self.old["parts"][name]
        self.index["parts"][name] = part
        for rel in part["files"]:
            self.index["files"][rel] = self.old["files"][rel]

    def _set(self, name, key, rels, **extra):
        part = dict(extra, key=key, files=sorted(rels))
        self.index["parts"][name] = part
        self.index["files"].update(files.record_files(self.root, rels))

    def _note(self, name, status, began, rels=None):
        rels = rels if rels is not None else self.index["parts"].get(name, {}).get("files", [])
        size = sum(self.index["files"].get(r, {}).get("size", 0) for r in rels)
        self.report[name] = {"status": status, "files": len(rels), "bytes": size,
                             "seconds": round(time.time() - began, 2)}

    def listing(self):
        if self._listing is None:
            self._listing = colls.list_installed(self.p["galaxy_path"], self.p.get("collections_paths"))
        return self._listing

    # -- parts ---------------------------------------------------------------------------------
    def collection(self):
        began = time.time()
        source = self.p["collection_source"]
        coll_dir = os.path.join(self.root, "collections")
        if os.path.isfile(os.path.join(source, "galaxy.yml")):
            stamp = source_stamp(source)
            if self._stamp().get(source) == stamp and self.old["parts"].get("collection") \
                    and not files.verify(self.root, self.old, names=["collection"]):
                # The tree is as it was when its tarball was built: no build (which takes seconds).
                self._keep("collection")
                self._note("collection", "unchanged", began)
                return json.loads(colls.manifest_of_artifact(os.path.join(self.root, self.old["parts"]["collection"]["files"][0]))
                                  .decode("utf-8"))
            os.makedirs(self.root, exist_ok=True)
            artifact = colls.build_source(source, self.root, self.p["galaxy_path"])
            try:
                manifest_bytes = colls.manifest_of_artifact(artifact)
                key = files.key_of("built", manifest_bytes.decode("utf-8"))
                if self._unchanged("collection", key):
                    self._note("collection", "unchanged", began)
                    self._stamp_update = (source, stamp)
                    return json.loads(manifest_bytes.decode("utf-8"))
                if self.check_mode:
                    self._note("collection", "would_write", began, [])
                    return json.loads(manifest_bytes.decode("utf-8"))
                os.makedirs(coll_dir, exist_ok=True)
                name = os.path.basename(artifact)
                os.replace(artifact, os.path.join(coll_dir, name))
            finally:
                shutil.rmtree(os.path.dirname(artifact), ignore_errors=True)
            manifest = json.loads(manifest_bytes.decode("utf-8"))
            self._stamp_update = (source, stamp)
        else:
            manifest, _files = colls.installed_info(source)
            key = files.key_of("installed", manifest)
            if self._unchanged("collection", key):
                self._note("collection", "unchanged", began)
                return manifest
            if self.check_mode:
                self._note("collection", "would_write", began, [])
                return manifest
            os.makedirs(coll_dir, exist_ok=True)
            name, manifest = colls.repack_installed(source, coll_dir)
        self._set("collection", key, ["collections/" + name])
        self._note("collection", "written", began)
        return manifest

    def dependencies(self, manifest):
        began = time.time()
        found = colls.resolve_dependencies(manifest, self.listing())
        inputs = []
        for fqcn, path, version in found:
            dep_manifest, _files = colls.installed_info(path)
            inputs.append((fqcn, version, dep_manifest.get("file_manifest_file", {}).get("chksum_sha256")))
        key = files.key_of(inputs)
        if self._unchanged("dependencies", key):
            self._note("dependencies", "unchanged", began)
            return
        if self.check_mode:
            self._note("dependencies", "would_write", began, [])
            return
        coll_dir = os.path.join(self.root, "collections")
        os.makedirs(coll_dir, exist_ok=True)
        rels = []
        for _fqcn, path, _version in found:
            name, _manifest = colls.repack_installed(path, coll_dir)
            rels.append("collections/" + name)
        self._set("dependencies", key, rels, collections=["%s:%s" % (f, v) for f, _p, v in found])
        self._note("dependencies", "written", began)

    def wheels(self):
        began = time.time()
        text = wheels.requirements_text(self.p.get("python_requirements"), self.p.get("python_requirement_files"))
        versions, platforms = list(self.p["python_versions"]), list(self.p["python_platforms"])
        key = files.key_of(text, versions, platforms, self.p.get("python_implementation", "cp"))
        if self._unchanged("wheels", key):
            self._note("wheels", "unchanged", began)
            return
        if self.check_mode:
            self._note("wheels", "would_write", began, [])
            return
        names = wheels.download(self.p["python"], text, os.path.join(self.root, "wheels"), versions, platforms,
                                self.p.get("python_implementation", "cp"), self.p.get("pip_extra_args"))
        files.atomic_write(os.path.join(self.root, "python", "requirements.txt"), text.encode("utf-8"))
        self._set("wheels", key, ["python/requirements.txt"] + ["wheels/" + n for n in names],
                  python_versions=versions, platforms=platforms)
        self._note("wheels", "written", began)

    def dify_plugins(self):
        """Each plugin package (signed: its own signature kept, or the operator's added) and the wheels it needs."""
        began = time.time()
        sources = list(self.p.get("dify_plugins") or [])
        if self.p.get("dify_plugin_dsl_files"):
            kinds = {}
            needed = dsl_plugins.identifiers(self.p["dify_plugin_dsl_files"], kinds)
            found, missing = dsl_plugins.match(needed, self.p.get("dify_plugin_dir"))
            fetch = dict((i, f) for i, f in missing.items() if kinds.get(i) == "marketplace")
            if fetch and self.p.get("dify_plugin_marketplace_url") and self.check_mode and len(fetch) == len(missing):
                self._note("dify_plugins", "would_write", began, [])  # they would be downloaded
                return
            if fetch and self.p.get("dify_plugin_marketplace_url") and not self.check_mode:
                # What Dify would download from the marketplace when online, fetched here, on the connected side.
                for identifier in sorted(fetch):
                    marketplace.download(self.p["dify_plugin_marketplace_url"], identifier, self.p["dify_plugin_dir"],
                                         int(self.p.get("dify_plugin_max_package_size") or marketplace.MAX_PACKAGE_SIZE))
                found, missing = dsl_plugins.match(needed, self.p.get("dify_plugin_dir"))
            if missing:
                raise files.BundleError("the DSL files need plugins that %s does not hold: %s" % (
                    self.p.get("dify_plugin_dir") or "dify_plugin_dir (unset)",
                    "; ".join("%s (%s)" % (i, ", ".join(f)) for i, f in sorted(missing.items()))))
            sources.extend(p for p in found if p not in sources)
        packages = []
        for source in sources:
            if os.path.isdir(source):
                data = difypkg.pack(source)
            else:
                with open(source, "rb") as handle:
                    data = handle.read()
            packages.append((source, data))
        key_path = self.p.get("dify_plugin_signing_key")
        versions, platforms = list(self.p["dify_plugin_python_versions"]), list(self.p["dify_plugin_platforms"])
        # A directory's zip differs at every pack (zip times): key on the files it holds.
        inputs = [(os.path.basename(src.rstrip("/")), difypkg.content_key(data)) for src, data in packages]
        key = files.key_of(inputs, versions, platforms, bool(key_path))
        if self._unchanged("dify_plugins", key):
            self._note("dify_plugins", "unchanged", began)
            return
        if self.check_mode:
            self._note("dify_plugins", "would_write", began, [])
            return
        private = None
        if key_path:
            with open(key_path, "rb") as handle:
                private = handle.read()
        rels, signed_here = [], []
        wheel_dir = os.path.join(self.root, "plugin-wheels")
        staging = os.path.join(self.root, ".plugin-wheels-new")
        for leftover in (staging, wheel_dir + ".new"):  # of a run that failed half-way
            shutil.rmtree(leftover, ignore_errors=True)
        os.makedirs(os.path.join(self.root, "dify-plugins"), exist_ok=True)
        names = set()
        for source, data in packages:
            if not difypkg.is_signed(data):
                if private is None:
                    raise files.BundleError("the plugin %s is not signed; set the operator's signing key (signatures stay on: "
                                            "the daemon verifies every package)" % source)
                data = difypkg.sign(data, private)
                signed_here.append(os.path.basename(source.rstrip("/")))
            name = difypkg.package_name(data)
            files.atomic_write(os.path.join(self.root, "dify-plugins", name), data)
            rels.append("dify-plugins/" + name)
            part_dir = os.path.join(staging, name)
            for wheel in wheels.download(self.p["python"], difypkg.requirements(data), part_dir, versions, platforms,
                                         "cp", self.p.get("pip_extra_args")):
                os.makedirs(wheel_dir + ".new", exist_ok=True)
                if wheel not in names:
                    os.replace(os.path.join(part_dir, wheel), os.path.join(wheel_dir + ".new", wheel))
                    names.add(wheel)
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.isdir(wheel_dir):
            shutil.rmtree(wheel_dir)
        if names:
            os.replace(wheel_dir + ".new", wheel_dir)
        self._set("dify_plugins", key, rels + ["plugin-wheels/" + n for n in sorted(names)],
                  python_versions=versions, platforms=platforms, signed_here=sorted(signed_here))
        self._note("dify_plugins", "written", began)

    # -- the run -------------------------------------------------------------------------------
    def _remove_stale(self):
        """Files of the bundle that no part lists any more (a dropped dependency, an older version)."""
        keep = set(self.index["files"]) | {files.INDEX}
        for top, _dirs, names in os.walk(self.root):
            for leaf in names:
                rel = os.path.relpath(os.path.join(top, leaf), self.root).replace(os.sep, "/")
                if rel not in keep:
                    os.unlink(os.path.join(top, leaf))

    def run(self):
        chosen = list(self.p["parts"])
        manifest = None
        if "collection" in chosen or "dependencies" in chosen:
            manifest = self.collection() if "collection" in chosen else colls.installed_info(self.p["collection_source"])[0]
        if "dependencies" in chosen:
            self.dependencies(manifest)
        if "wheels" in chosen:
            self.wheels()
        if "dify_plugins" in chosen:
            self.dify_plugins()
        # In check mode a part to write is not in the new index: its status says it would change.
        changed = files.dumps(self.index) != files.dumps(self.old) or any(
            part["status"] == "would_write" for part in self.report.values())
        result = {"changed": changed, "bundle": self.root, "parts": self.report,
                  "bytes": sum(f["size"] for f in self.index["files"].values()), "parts_invalidated": False}
        if self.check_mode or (not chosen and not self.old["parts"]):
            return result
        if changed:
            files.atomic_write(os.path.join(self.root, files.INDEX), files.dumps(self.index))
            self._remove_stale()
        if self._stamp_update:
            files.atomic_write(self.stamp_path, json.dumps(dict([self._stamp_update])).encode("utf-8"))
        archive_dir, prefix = self.p.get("archive_dir"), self.p.get("archive_prefix")
        # Parts written before this bundle, or with another one: the engine must write them again.
        if archive_dir and prefix and os.path.isfile(parts_list(archive_dir, prefix)) \
                and archive_index(archive_dir, prefix) != files.dumps(self.index):
            os.unlink(parts_list(archive_dir, prefix))
            result["parts_invalidated"] = True
        return result
