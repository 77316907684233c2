"""Inputs a recipe takes from a registry other than Debian's, fetched once into the cache.

* ``maven``: an artifact from Maven Central, checked against the ``.sha1``
  Maven Central publishes beside it (its sha256 is recorded in the stamp).
* ``go``: a binary built from a published Go module with ``go install
  module@version`` (CGO off, trimpath), its version stamped through ``ldflags``.

Both land in ``<cache>/images/inputs/<recipe>/<version>/``, which the recipe's
customize.sh reads as ``$INPUTS``. A complete directory is reused as is.
"""

import hashlib
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


def maven_url(group, artifact, version, ext):
    return "%s/%s/%s/%s/%s-%s.%s" % (MAVEN_CENTRAL, group.replace(".", "/"), artifact, version, artifact, version, ext)


def _download(url, dest):
    tmp = Path(str(dest) + ".part")
    with urllib.request.urlopen(url, timeout=120) as resp, open(tmp, "wb") as out:  # noqa: S310 - https only
        shutil.copyfileobj(resp, out, 1 << 20)
    return tmp


def _digest(path, algo):
    hasher = hashlib.new(algo)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def fetch_maven(spec, dest_dir):
    """Download one Maven artifact into ``dest_dir``; return {file, sha1, sha256}."""
    url = maven_url(spec["group"], spec["artifact"], spec["version"], spec.get("ext", "jar"))
    dest = Path(dest_dir) / url.rsplit("/", 1)[1]
    if not dest.exists():
        with urllib.request.urlopen(url + ".sha1", timeout=60) as resp:  # noqa: S310
            expected = resp.read().decode().split()[0].strip()
        tmp = _download(url, dest)
        got = _digest(tmp, "sha1")
        if got != expected:
            tmp.unlink()
            raise RuntimeError("%s: sha1 %s, Maven Central says %s" % (url, got, expected))
        os.replace(tmp, dest)
    return {"file": dest.name, "url": url, "sha1": _digest(dest, "sha1"), "sha256": _digest(dest, "sha256")}


def build_go(spec, dest_dir, log):
    """``go install`` one binary of a Go module into ``dest_dir``; return {file, module, sha256}."""
    binary = Path(dest_dir) / spec["binary"]
    module = "%s@%s" % (spec["package"], spec["version"])
    if not binary.exists():
        tmp = Path(dest_dir) / ".gobin"
        shutil.rmtree(tmp, ignore_errors=True)
        env = dict(os.environ, CGO_ENABLED="0", GOBIN=str(tmp), GOFLAGS="-buildvcs=false")
        argv = ["go", "install", "-trimpath", "-ldflags", "-s -w " + spec.get("ldflags", ""), module]
        with open(log, "ab") as handle:
            handle.write(("+ %s\n" % " ".join(argv)).encode())
            handle.flush()
            result = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, check=False)
        if result.returncode != 0:
            raise RuntimeError("go install %s failed (log %s)" % (module, log))
        built = list(tmp.iterdir())
        if len(built) != 1:
            raise RuntimeError("go install %s left %s, expected one binary" % (module, [p.name for p in built]))
        os.replace(built[0], binary)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"file": binary.name, "module": module, "sha256": _digest(binary, "sha256")}


def fetch(recipe, inputs_dir, log):
    """Fetch every input the recipe names; return what was fetched, for the stamp."""
    inputs_dir = Path(inputs_dir)
    inputs_dir.mkdir(parents=True, exist_ok=True)
    fetched = []
    for spec in recipe.expand(recipe.data.get("maven") or []):
        fetched.append(fetch_maven(spec, inputs_dir))
    for spec in recipe.expand(recipe.data.get("go") or []):
        fetched.append(build_go(spec, inputs_dir, log))
    return fetched
