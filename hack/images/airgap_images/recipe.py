"""Image recipes: one ``hack/images/<name>/recipe.yml`` per image, read with the release manifest.

A recipe says where an image's root filesystem comes from (Debian packages,
plus an optional Go module, Maven artifact or PyPI install in its
``customize.sh``), the image config (user, command, env, paths) that the
platform's role templates rely on, and how that differs from the upstream
image. The version it builds is the release manifest's (``{version}`` in the
recipe), so updating a component stays one edit in ``release/manifest.yml``.

A recipe's content hash covers every file in its directory, this package's
source, the manifest entries it serves and the tools that shape the output;
an unchanged hash is a warm build that does nothing.
"""

import ast
import hashlib
import json
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
IMAGES_DIR = HERE.parent
REPO = IMAGES_DIR.parent.parent
MANIFEST = REPO / "release" / "manifest.yml"

# Label keys every image carries.
LABEL_STAND_IN = "airgap.dify-platform/stand-in"
LABEL_ENTRY = "airgap.dify-platform/manifest-entry"
LABEL_UPSTREAM_VERSION = "airgap.dify-platform/upstream-version"
LABEL_BUILT_VERSION = "airgap.dify-platform/built-version"
LABEL_RECIPE_HASH = "airgap.dify-platform/recipe-hash"

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REQUIRED = ("kind", "suite", "packages", "config", "differences")
# Recipe keys that change no byte of the image: the smoke check, the docs text, the build order.
NOT_HASHED = ("smoke", "differences", "order")
# The modules whose code shapes an image's bytes (not the smoke check, the docs table or the push).
SHAPING_MODULES = ("builder.py", "inputs.py", "oci.py", "recipe.py", "rootfs.py")


class RecipeError(ValueError):
    """A recipe that cannot be built as written."""


def load_manifest(path=MANIFEST):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["images"]


def names():
    """Every recipe, in build order (``order`` in each recipe, then name)."""
    found = []
    for path in sorted(IMAGES_DIR.glob("*/recipe.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.append((data.get("order", 100), path.parent.name))
    return [name for _order, name in sorted(found)]


def bare(version):
    """``v7.15.2`` -> ``7.15.2`` (Go tags carry the ``v``, Maven and PyPI versions do not)."""
    return version[1:] if version.startswith("v") and version[1:2].isdigit() else version


class Recipe:
    """One recipe, checked against the manifest; ``images()`` gives one image per manifest entry."""

    def __init__(self, name, manifest=None, images_dir=IMAGES_DIR):
        self.name = name
        self.dir = Path(images_dir) / name
        self.path = self.dir / "recipe.yml"
        self.data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self.manifest = manifest if manifest is not None else load_manifest()
        self._check()

    def _check(self):
        missing = [key for key in REQUIRED if key not in self.data]
        if missing:
            raise RecipeError("%s: missing %s" % (self.path, ", ".join(missing)))
        if self.data["kind"] not in ("real", "stand-in"):
            raise RecipeError("%s: kind must be real or stand-in" % self.path)
        for entry in self.entries:
            if entry not in self.manifest:
                raise RecipeError("%s: %s is not an entry of release/manifest.yml" % (self.path, entry))
        user = str(self.data["config"].get("user", ""))
        uid, _sep, gid = user.partition(":")
        # Pod Security restricted with no runAsUser needs a numeric non-root USER;
        # restricted-v2 gives an arbitrary UID with GID 0, so files are group 0.
        if not uid.isdigit() or int(uid) == 0 or gid != "0":
            raise RecipeError("%s: config.user must be a numeric non-root UID with group 0 (got %r)" % (self.path, user))
        customize = self.data.get("customize")
        if customize and not (self.dir / customize).is_file():
            raise RecipeError("%s: customize script %s is missing" % (self.path, customize))

    @property
    def kind(self):
        return self.data["kind"]

    @property
    def entries(self):
        """Manifest entries this recipe builds: ``manifest`` (one) or ``variants`` (stand-ins)."""
        if "variants" in self.data:
            return list(self.data["variants"])
        return [self.data["manifest"]]

    def version(self, entry=None):
        return str(self.manifest[entry or self.entries[0]]["version"])

    def substitutions(self, entry=None):
        version = self.version(entry)
        return {"version": version, "version_bare": bare(version)}

    def expand(self, value, entry=None):
        """``{version}``/``{version_bare}`` in strings, lists and dicts of a recipe."""
        subs = self.substitutions(entry)
        if isinstance(value, str):
            return value.format(**subs)
        if isinstance(value, list):
            return [self.expand(item, entry) for item in value]
        if isinstance(value, dict):
            return {key: self.expand(item, entry) for key, item in value.items()}
        return value

    def files(self):
        """The recipe's files that shape the image, relative, sorted (what the hash covers).

        Not ``recipe.yml`` itself (its image-shaping keys are hashed, see
        ``content_hash``) nor ``smoke/``: the checks and the docs text change no byte
        of the image, so editing them rebuilds nothing.
        """
        return sorted(rel for rel in (p.relative_to(self.dir).as_posix() for p in self.dir.rglob("*")
                                      if p.is_file() and "__pycache__" not in p.parts)
                      if rel != "recipe.yml" and not rel.startswith("smoke/"))

    def content_hash(self, tool_versions=()):
        digest = hashlib.sha256()
        shaping = {key: value for key, value in self.data.items() if key not in NOT_HASHED}
        digest.update(b"recipe.yml\0" + json.dumps(shaping, sort_keys=True).encode())
        for rel in self.files():
            digest.update(("recipe/%s\0" % rel).encode())
            digest.update((self.dir / rel).read_bytes())
        for module in SHAPING_MODULES:
            # The module's syntax tree, not its bytes: reformatting or a comment rebuilds nothing.
            digest.update(("lib/%s\0" % module).encode())
            digest.update(ast.dump(ast.parse((HERE / module).read_text(encoding="utf-8"))).encode())
        for entry in self.entries:
            digest.update(("manifest/%s\0" % entry).encode())
            digest.update(json.dumps(self.manifest[entry], sort_keys=True).encode())
        for tool in tool_versions:
            digest.update(("tool/%s\0" % tool).encode())
        return digest.hexdigest()

    def image_config(self, entry, built_version, recipe_hash):
        """The OCI image config's ``config`` object for one manifest entry."""
        conf = self.data["config"]
        variant = (self.data.get("variants") or {}).get(entry) or {}
        env = {"PATH": DEFAULT_PATH}
        env.update(self.expand(conf.get("env") or {}, entry))
        env.update(self.expand(variant.get("env") or {}, entry))
        labels = {
            LABEL_STAND_IN: "true" if self.kind == "stand-in" else "false",
            LABEL_ENTRY: entry,
            LABEL_UPSTREAM_VERSION: self.version(entry),
            LABEL_BUILT_VERSION: built_version,
            LABEL_RECIPE_HASH: recipe_hash,
            "org.opencontainers.image.version": built_version,
            "org.opencontainers.image.source": "hack/images/%s/recipe.yml" % self.name,
            "org.opencontainers.image.title": entry,
        }
        labels.update(self.expand(conf.get("labels") or {}, entry))
        out = {
            "User": str(conf["user"]),
            "Env": ["%s=%s" % (key, value) for key, value in env.items()],
            "Labels": labels,
        }
        for key, field in (("entrypoint", "Entrypoint"), ("cmd", "Cmd")):
            value = variant.get(key, conf.get(key))
            if value is not None:
                out[field] = self.expand(list(value), entry)
        if conf.get("workdir"):
            out["WorkingDir"] = conf["workdir"]
        ports = variant.get("ports", conf.get("ports")) or []
        if ports:
            out["ExposedPorts"] = {("%s/tcp" % p if "/" not in str(p) else str(p)): {} for p in ports}
        return out

    def writable(self):
        """Paths made group 0 and group-writable in the image (what the program writes)."""
        return list(self.data.get("writable") or [])

    def packages(self):
        return self.expand(list(self.data["packages"]))
