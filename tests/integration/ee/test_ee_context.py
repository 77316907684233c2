"""The execution environment's build context, made by ansible-builder 3 and checked.

``ansible-builder create`` on ee/execution-environment.yml, with ee/collections/ filled the
way the runbook says (this collection built, kubernetes.core packed from the installed copy,
as the mirror bundle does). Then the context is checked the way the image build would use it:

* the Containerfile starts from the base image the release manifest lists under build_inputs;
* every collection the galaxy stage installs is a file in the context, and
  ``ansible-galaxy collection install --offline`` installs them from the context alone;
* ansible-builder's own introspection script, from the context, reads the collection's
  Python and system requirements (meta/execution-environment.yml).

No container engine is needed; building the image is left to the site (podman build).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from helpers.collection_snapshot import snapshot_collection
from helpers.paths import CACHE, REPO

HARNESS = REPO / "tests" / "harness" / "ee" / "requirements.txt"
REFUSED = "http://127.0.0.1:9/"


def builder():
    """ansible-builder from tests/harness/ee/requirements.txt, in a cached virtualenv keyed by that file."""
    key = hashlib.sha256(HARNESS.read_bytes()).hexdigest()[:12]
    venv = CACHE / ("venv-ee-builder-%s" % key)
    binary = venv / "bin" / "ansible-builder"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(HARNESS)], check=True)
    return binary, venv


def fill_collections(dest, source):
    """What the runbook says: copy the bundle's collection tarballs into ee/collections/."""
    from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import collections as colls
    galaxy = str(Path(sys.executable).parent / "ansible-galaxy")
    artifact = colls.build_source(source, str(dest), galaxy)
    shutil.move(artifact, str(Path(dest) / os.path.basename(artifact)))
    shutil.rmtree(os.path.dirname(artifact), ignore_errors=True)
    manifest = yaml.safe_load(colls.manifest_of_artifact(str(Path(dest) / os.path.basename(artifact))))
    for _fqcn, path, _version in colls.resolve_dependencies(manifest, colls.list_installed(galaxy)):
        colls.repack_installed(path, str(dest))


def test_ansible_builder_create_makes_a_complete_context(tmp_path):
    binary, venv = builder()
    ee = tmp_path / "ee"
    shutil.copytree(str(REPO / "ee"), str(ee))
    fill_collections(ee / "collections", snapshot_collection(tmp_path / "collection"))
    context = tmp_path / "context"
    proc = subprocess.run([str(binary), "create", "-f", str(ee / "execution-environment.yml"), "-c", str(context),
                           "--output-filename", "Containerfile"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert proc.returncode == 0, proc.stdout.decode()[-3000:]

    # The base image is the release manifest's build input, by digest.
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    base = manifest["build_inputs"]["execution_environment"]["base_image"]
    containerfile = (context / "Containerfile").read_text()
    assert "ARG EE_BASE_IMAGE=\"%s@%s\"" % (base["repository"], base["digest"]) in containerfile, containerfile[:800]
    definition = yaml.safe_load((ee / "execution-environment.yml").read_text())
    assert manifest["build_inputs"]["execution_environment"]["definition"] == "ee/execution-environment.yml"
    assert definition["version"] == 3

    # Every collection of the galaxy stage is in the context, and installs from it with no server.
    build = context / "_build"
    requirements = yaml.safe_load((build / "requirements.yml").read_text())
    names = [c["name"] for c in requirements["collections"]]
    missing = [n for n in names if not (build / n).is_file()]
    assert not missing, "the galaxy stage would not find %s in the context (ee/requirements.yml and the bundle disagree)" % missing
    installed = tmp_path / "installed"
    # Only the target path counts: collections of the configured paths would make the install a no-op.
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_COLLECTIONS"))
    env.update(ANSIBLE_GALAXY_SERVER=REFUSED, HTTP_PROXY=REFUSED, HTTPS_PROXY=REFUSED, HOME=str(tmp_path),
               ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "install", "--offline",
                           "-r", "requirements.yml", "--collections-path", str(installed)],
                          cwd=str(build), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert proc.returncode == 0, proc.stdout.decode()[-3000:]
    assert sorted(p.name for p in (installed / "ansible_collections").iterdir()) == ["airgap", "kubernetes"]

    # ansible-builder's introspection, from the context, finds the collection's requirements.
    proc = subprocess.run([str(venv / "bin" / "python"), str(build / "scripts" / "introspect.py"), "introspect",
                           str(installed)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert proc.returncode == 0, proc.stdout.decode()[-3000:]
    data = yaml.safe_load(proc.stdout.decode())
    python = " ".join(data.get("python", []))
    system = " ".join(data.get("system", []))
    # ansible-builder drops what ansible-core itself brings (introspect.py EXCLUDE_REQUIREMENTS: pyyaml among them).
    excluded = {"pyyaml", "yaml", "ansible-core", "ansible"}
    for pin in (REPO / "meta" / "requirements-runtime.txt").read_text().splitlines():
        name = pin.split("=", 1)[0].split(">", 1)[0].split("<", 1)[0].strip().lower()
        if pin and not pin.startswith("#") and name not in excluded:
            assert pin in python, "introspection lost %s: %s" % (pin, python)
    assert "from collection airgap.dify_platform" in python
    assert "skopeo" in system, system
