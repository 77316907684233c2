"""Build one recipe: inputs, root filesystem, OCI layout, local image, smoke check, stamp.

Everything lands under ``<cache>/images``:

* ``oci/<recipe>/``: the OCI layout (one image per manifest entry, tagged with
  the recipe hash); the digests there are the digests pushed and pulled;
* ``stamps/<recipe>.json``: the recipe hash, digests, resolved versions,
  inputs and the seconds each step took; an equal hash with the layout and
  the local image present is a warm build that does nothing;
* ``debs/``, ``inputs/``: downloads shared between builds; ``logs/``;
* ``locks/<recipe>.lock``: held while a recipe builds, so two runs (two
  checkouts, or ``make images`` beside ``make harbor-standin``) never build
  the same recipe at once; the second finds it warm when the lock frees.

A build that replaces a stamp removes the local images the old stamp named,
so superseded builds do not pile up in podman's storage (no manual prune).
"""

import contextlib
import fcntl
import json
import shutil
import subprocess
import time
from pathlib import Path

from . import inputs, oci, rootfs, smoke
from .recipe import Recipe

# File times inside every image (2026-01-01T00:00:00Z): a fixed epoch keeps
# the tar, hence the layer digest, the same for the same packages.
SOURCE_DATE_EPOCH = 1767225600
LOCAL_PREFIX = "localhost/airgap-dify-platform"


def tool_versions():
    out = []
    for argv in (["mmdebstrap", "--version"], ["go", "env", "GOVERSION"]):
        try:
            out.append(subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            out.append("%s: missing" % argv[0])
    return out


class Builder:
    def __init__(self, cache, manifest=None):
        self.root = Path(cache) / "images"
        self.manifest = manifest
        self._tools = None
        for sub in ("oci", "stamps", "debs", "inputs", "logs", "work", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def tools(self):
        if self._tools is None:
            self._tools = tool_versions()
        return self._tools

    def recipe(self, name):
        return Recipe(name, manifest=self.manifest)

    def stamp_path(self, name):
        return self.root / "stamps" / ("%s.json" % name)

    def read_stamp(self, name):
        path = self.stamp_path(name)
        return json.loads(path.read_text()) if path.exists() else None

    @staticmethod
    def local_ref(entry, recipe_hash):
        return "%s/%s:%s" % (LOCAL_PREFIX, entry.replace("_", "-"), recipe_hash[:16])

    def is_warm(self, recipe, recipe_hash, load=True):
        stamp = self.read_stamp(recipe.name)
        if not stamp or stamp.get("hash") != recipe_hash:
            return False
        layout = self.root / "oci" / recipe.name
        for image in stamp["images"].values():
            if not (layout / "blobs" / "sha256" / image["digest"].split(":", 1)[1]).exists():
                return False
            if load and smoke.podman("image", "exists", image["local"], check=False).returncode != 0:
                return False
        return True

    @contextlib.contextmanager
    def locked(self, name, log=print):
        """Hold the recipe's build lock (waits, and says so, while another run builds it)."""
        with open(self.root / "locks" / ("%s.lock" % name), "w", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log("%-14s another run is building it: waiting for its lock" % name)
                fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def build(self, name, force=False, load=True, run_smoke=True, log=print):
        with self.locked(name, log=log):
            previous = self.read_stamp(name)
            stamp = self._build(name, force, load, run_smoke, log)
            if load:
                self.remove_superseded(previous, stamp, log=log)
            return stamp

    @staticmethod
    def superseded(previous, current):
        """The local image references ``previous`` named that ``current`` no longer does."""
        if not previous or not current:
            return []
        keep = {image["local"] for image in current["images"].values()}
        return sorted({image["local"] for image in previous.get("images", {}).values()} - keep)

    def remove_superseded(self, previous, current, log=print):
        for ref in self.superseded(previous, current):
            # An image still used by a container stays; it is removed by the next build.
            if smoke.podman("rmi", ref, check=False).returncode == 0:
                log("%-14s removed the superseded local image %s" % (current["recipe"], ref))

    def _build(self, name, force, load, run_smoke, log):
        recipe = self.recipe(name)
        recipe_hash = recipe.content_hash(self.tools)
        if not force and self.is_warm(recipe, recipe_hash, load=load):
            log("%-14s warm (hash %s): nothing to do" % (name, recipe_hash[:12]))
            return self.read_stamp(name)
        seconds = {}
        logfile = self.root / "logs" / ("%s.log" % name)
        logfile.write_text("")
        inputs_dir = self.root / "inputs" / name / recipe.version()

        start = time.monotonic()
        fetched = inputs.fetch(recipe, inputs_dir, logfile)
        seconds["inputs"] = round(time.monotonic() - start, 1)

        start = time.monotonic()
        tar = self.root / "work" / ("%s.tar" % name)
        tar.unlink(missing_ok=True)
        rootfs.build(recipe, tar, self.root / "debs", inputs_dir, SOURCE_DATE_EPOCH, logfile)
        built = recipe.data.get("built_version", "{version}")
        packages = rootfs.package_versions(tar, [p.split("=")[0] for p in recipe.packages()])
        if built.startswith("deb:"):
            built_version = packages.get(built[4:]) or "unknown"
        else:
            built_version = recipe.expand(built)
        seconds["rootfs"] = round(time.monotonic() - start, 1)

        start = time.monotonic()
        layout = self.root / "oci" / name
        shutil.rmtree(layout, ignore_errors=True)
        layer = oci.add_layer(layout, tar)
        tar.unlink()
        refs, images = {}, {}
        for entry in recipe.entries:
            entry_built = built_version if built.startswith("deb:") else recipe.expand(built, entry)
            config = recipe.image_config(entry, entry_built, recipe_hash)
            digest, size = oci.add_image(layout, layer, config, SOURCE_DATE_EPOCH,
                                         "hack/images/%s recipe %s" % (name, recipe_hash[:16]))
            refs[entry] = (digest, size)
            images[entry] = {"digest": digest, "local": self.local_ref(entry, recipe_hash),
                             "upstream_version": recipe.version(entry), "built_version": entry_built}
        oci.write_index(layout, refs)
        seconds["oci"] = round(time.monotonic() - start, 1)
        layer_size = layer[1]

        if load:
            start = time.monotonic()
            for entry, image in images.items():
                subprocess.run(["skopeo", "copy", "--quiet", "oci:%s:%s" % (layout, entry),
                                "containers-storage:%s" % image["local"]], check=True, timeout=1800)
            seconds["load"] = round(time.monotonic() - start, 1)
            if run_smoke:
                start = time.monotonic()
                first = recipe.entries[0]
                result = smoke.check(recipe, images[first]["local"])
                seconds["smoke"] = round(time.monotonic() - start, 1)
                log("%-14s smoke: %s" % (name, result))

        stamp = {
            "recipe": name, "hash": recipe_hash, "kind": recipe.kind, "built_version": built_version,
            "packages": packages, "inputs": fetched, "images": images, "layer_bytes": layer_size,
            "seconds": seconds, "tools": self.tools,
        }
        self.stamp_path(name).write_text(json.dumps(stamp, indent=1, sort_keys=True))
        log("%-14s built %s in %ss %s" % (name, built_version, round(sum(seconds.values()), 1), seconds))
        return stamp
