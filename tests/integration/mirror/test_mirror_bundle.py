"""The bundle across the gap, for real: collections and wheels in the same archive parts as the images.

Connected side: the role's mirror_to_disk with the bundle (``ansible-galaxy collection build``
of a snapshot of this collection, kubernetes.core packed from the controller's installed copy,
``pip download`` of the wheels from PyPI), then a rerun that writes nothing.

Bastion side, twice, with every index refused (pip's and Galaxy's URLs point at a closed
port, and so do the HTTP proxies):

* the two commands of docs/airgap-runbook.md ("Bootstrap the bastion"), on a fresh virtualenv,
  after ``cat parts | tar -x bundle``;
* the role's disk_to_mirror, which installs the collections and a virtualenv and publishes a
  PEP 503 index, then a rerun that changes nothing.

Both end with ``ansible-doc -l airgap.dify_platform`` listing the collection's modules.
"""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers.collection_snapshot import snapshot_collection
from mirror_support import engine_answer, failure_message, lab, result_of  # noqa: F401  # pylint: disable=unused-import

REFUSED = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused
PYTHON = "/usr/bin/python3"
MODULES = ("airgap.dify_platform.mirror_bundle", "airgap.dify_platform.harbor_project", "airgap.dify_platform.apply_wave")


def offline_env(**extra):
    env = dict(os.environ)
    for name in list(env):
        if name.startswith(("ANSIBLE_", "PIP_", "PYTHON")) or name.lower().endswith("_proxy"):
            env.pop(name)
    env.update(PIP_INDEX_URL=REFUSED + "/simple/", PIP_EXTRA_INDEX_URL="", ANSIBLE_GALAXY_SERVER=REFUSED + "/",
               HTTP_PROXY=REFUSED, HTTPS_PROXY=REFUSED, http_proxy=REFUSED, https_proxy=REFUSED, NO_PROXY="",
               PIP_CACHE_DIR="/nonexistent", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env


def doc_lists_modules(venv, collections_path):
    proc = subprocess.run([str(Path(venv) / "bin" / "ansible-doc"), "-l", "airgap.dify_platform"], capture_output=True,
                          env=offline_env(ANSIBLE_COLLECTIONS_PATH=str(collections_path),
                                          ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCAL_TEMP=str(Path(venv) / "tmp"),
                                          HOME=str(Path(venv) / "home")),
                          check=False)
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    for module in MODULES:
        assert module in out, "%s is not listed by ansible-doc:\n%s" % (module, out[-2000:])


@pytest.fixture(scope="module")
def media(lab, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("bundle")
    source = snapshot_collection(root / "collection")
    manifest = lab.manifest(root / "manifest.yml", names=sorted(lab.digests)[:1])
    connected, media_dir = root / "connected", root / "media"
    bundle_vars = {"mirror_bundle_parts": ["collection", "dependencies", "wheels"], "mirror_bundle_collection_source": source,
                   "mirror_bundle_python_versions": ["3.11"], "mirror_archive_dir": str(media_dir)}
    began = time.time()
    first = lab.run_role("mirror_to_disk", connected, manifest, **bundle_vars)
    seconds = time.time() - began
    assert first.returncode == 0, failure_message(first) + first.stderr[-3000:]
    bundle = result_of(first, "Write the bundle into the store (collection, dependencies, wheels)")
    assert bundle["changed"] is True
    parts = bundle["parts"]
    assert {name: p["status"] for name, p in parts.items()} == {
        "collection": "written", "dependencies": "written", "wheels": "written"}
    index = json.loads((connected / "store" / "bundle" / "index.json").read_text())
    names = sorted(os.path.basename(rel) for rel in index["files"])
    assert "airgap-dify_platform-0.1.0.tar.gz" in names and any(n.startswith("kubernetes-core-") for n in names)
    assert any(n.startswith("ansible_core-") and n.endswith(".whl") for n in names)
    assert any("cp311" in n and "manylinux" in n for n in names), "compiled wheels for CPython 3.11 (PyYAML, cffi...)"
    print("\nbundle parts (first run, %.1fs for the whole mirror_to_disk): %s" % (seconds, json.dumps(parts)))

    # Rerun: nothing downloaded or built again, the archive parts are kept.
    began = time.time()
    again = lab.run_role("mirror_to_disk", connected, manifest, **bundle_vars)
    assert again.returncode == 0, failure_message(again)
    rerun = result_of(again, "Write the bundle into the store (collection, dependencies, wheels)")
    assert rerun["changed"] is False and {p["status"] for p in rerun["parts"].values()} == {"unchanged"}
    assert engine_answer(again)["archives"]["reused"] is True
    print("bundle rerun: %.1fs for the whole mirror_to_disk: %s" % (time.time() - began, json.dumps(rerun["parts"])))
    return {"root": root, "media": media_dir, "manifest": manifest, "index": index}


def test_documented_bootstrap_installs_offline(media, tmp_path):
    """docs/airgap-runbook.md "Bootstrap the bastion": extract, then the two commands, with no index reachable."""
    parts = sorted(str(p) for p in media["media"].iterdir() if ".tar." in p.name)
    bundle_root = tmp_path / "store"
    bundle_root.mkdir()
    # cat mirror-<release>.tar.* | tar -xf - -C <dir> bundle
    cat = subprocess.Popen(["cat", *parts], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-xf", "-", "-C", str(bundle_root), "bundle"], stdin=cat.stdout, check=True)
    cat.stdout.close()
    assert cat.wait() == 0
    venv, collections = tmp_path / "ansible", tmp_path / "collections"
    bundle = bundle_root / "bundle"
    began = time.time()
    subprocess.run([PYTHON, "-m", "venv", str(venv)], check=True, env=offline_env())
    # The two commands of the runbook, as written there.
    first = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-index", "--find-links", str(bundle / "wheels"),
                            "-r", str(bundle / "python" / "requirements.txt")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=offline_env(), check=False)
    assert first.returncode == 0, first.stdout.decode()[-3000:]
    tarballs = sorted(str(p) for p in (bundle / "collections").glob("*.tar.gz"))
    second = subprocess.run([str(venv / "bin" / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections),
                             *tarballs], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=offline_env(HOME=str(tmp_path)), check=False)
    assert second.returncode == 0, second.stdout.decode()[-3000:]
    print("\noffline bootstrap: %.1fs" % (time.time() - began))
    doc_lists_modules(venv, collections)


def test_disk_to_mirror_installs_and_publishes_the_bundle(lab, media, tmp_path):  # noqa: F811
    bastion_media = tmp_path / "media"
    shutil.copytree(str(media["media"]), str(bastion_media))
    bastion = tmp_path / "bastion"
    venv, collections, publish = tmp_path / "venv", tmp_path / "collections", tmp_path / "pypi"
    bundle_vars = {"mirror_archive_dir": str(bastion_media), "mirror_project": lab.unique("bundle"),
                   "mirror_bundle_collections_path": str(collections), "mirror_bundle_venv": str(venv),
                   "mirror_bundle_venv_python": PYTHON, "mirror_bundle_publish_dir": str(publish)}
    run = lab.run_role("disk_to_mirror", bastion, media["manifest"], **bundle_vars)
    assert run.returncode == 0, failure_message(run) + run.stderr[-3000:]
    taken = result_of(run, "Take the bundle from the archive, check it, install and publish it")
    assert taken["changed"] is True
    assert {name: p["status"] for name, p in taken["parts"].items()} == {
        "take": "unchanged", "collections": "installed", "venv": "installed", "publish": "published"}, \
        "the engine extracted the whole store (bundle included) before: %s" % taken["parts"]
    print("\ndisk_to_mirror bundle steps: %s" % json.dumps(taken["parts"]))
    doc_lists_modules(venv, collections)
    # The published PEP 503 index names every wheel with its sha256.
    page = (publish / "python" / "simple" / "ansible-core" / "index.html").read_text()
    assert "ansible_core-" in page and "#sha256=" in page
    # Rerun: nothing extracted, installed or published again.
    again = lab.run_role("disk_to_mirror", bastion, media["manifest"], **bundle_vars)
    assert again.returncode == 0, failure_message(again)
    taken = result_of(again, "Take the bundle from the archive, check it, install and publish it")
    assert taken["changed"] is False, taken["parts"]


def test_a_corrupted_part_is_refused_before_anything_is_installed(lab, media, tmp_path):  # noqa: F811
    bastion_media = tmp_path / "media"
    shutil.copytree(str(media["media"]), str(bastion_media))
    first_part = sorted(p for p in bastion_media.iterdir() if ".tar." in p.name)[0]
    data = bytearray(first_part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first_part.write_bytes(bytes(data))
    collections = tmp_path / "collections"
    run = lab.run_role("disk_to_mirror", tmp_path / "bastion", media["manifest"], mirror_archive_dir=str(bastion_media),
                       mirror_project=lab.unique("bundle"), mirror_bundle_collections_path=str(collections))
    assert run.returncode != 0
    assert "corrupted" in failure_message(run)
    assert not collections.exists()
