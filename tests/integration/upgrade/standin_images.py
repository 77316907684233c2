"""Versions B of the Dify api stand-in for the upgrade test, derived from the one the Harbor stand-in serves (A).

Each is A's image plus one layer holding the working tree's hack/images/standin/server.py (which knows
STANDIN_MIGRATION_FAIL), with extra environment and a label naming the variant: STAND-IN images, never the
component. They are pushed by digest to the shared Harbor stand-in under tags of their own; the shared
release-manifest.yml and images.json are left alone, and the test writes its own manifests (A, B-bad, B-good).
Needs skopeo and the stand-in up (hack/images/harbor_standin.py up).
"""

import copy
import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
SERVER = REPO / "hack" / "images" / "standin" / "server.py"
LABEL = "airgap.dify-platform/stand-in-upgrade"


def _sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer():
    """(gzip blob, diff id) of a layer with /opt/stand-in/server.py, reproducible (mtime 0, root-owned)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("opt", "opt/stand-in"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        data = SERVER.read_bytes()
        info = tarfile.TarInfo("opt/stand-in/server.py")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), _sha(tar_bytes)


class Layout:
    """An OCI image layout directory: blobs by digest and index.json."""

    def __init__(self, path):
        self.path = Path(path)

    def blob(self, digest):
        return (self.path / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()

    def put(self, data):
        digest = _sha(data)
        (self.path / "blobs" / "sha256" / digest.split(":", 1)[1]).write_bytes(data)
        return digest

    def index(self):
        return json.loads((self.path / "index.json").read_text())

    def manifest_of(self, ref):
        for entry in self.index()["manifests"]:
            if (entry.get("annotations") or {}).get("org.opencontainers.image.ref.name") == ref:
                return entry, json.loads(self.blob(entry["digest"]))
        raise KeyError(ref)

    def tag(self, ref, media_type, data):
        digest = self.put(data)
        index = self.index()
        index["manifests"].append({"mediaType": media_type, "digest": digest, "size": len(data),
                                   "annotations": {"org.opencontainers.image.ref.name": ref}})
        (self.path / "index.json").write_text(json.dumps(index))
        return digest


def derive(layout, base, ref, env, variant):
    """Write ``ref`` into ``layout``: ``base`` plus the server layer, ``env`` added, labelled ``variant``."""
    entry, manifest = layout.manifest_of(base)
    config = json.loads(layout.blob(manifest["config"]["digest"]))
    blob, diff_id = _layer()
    config = copy.deepcopy(config)
    body = config.setdefault("config", {})
    body["Env"] = [e for e in body.get("Env") or [] if e.split("=", 1)[0] not in env] + \
        ["%s=%s" % (k, v) for k, v in sorted(env.items())]
    body.setdefault("Labels", {})[LABEL] = variant
    config["rootfs"]["diff_ids"].append(diff_id)
    config.setdefault("history", []).append({"created_by": "tests/integration/upgrade: STAND-IN server.py, variant %s" % variant})
    config_bytes = json.dumps(config, sort_keys=True).encode()
    docker = manifest.get("mediaType", "").startswith("application/vnd.docker")
    manifest = copy.deepcopy(manifest)
    manifest["config"].update(digest=layout.put(config_bytes), size=len(config_bytes))
    manifest["layers"].append({
        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker else "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": layout.put(blob), "size": len(blob)})
    return layout.tag(ref, entry["mediaType"], json.dumps(manifest).encode())


def build(cache, variants, workdir):
    """Push each variant ({name: env}) of the manifest's dify_api stand-in; return {name: digest}, plus 'A'."""
    standin = Path(cache) / "harbor-standin"
    entry = json.loads((standin / "images.json").read_text())["entries"]["dify_api"]
    path = entry["reference"].split("/", 1)[1].split("@", 1)[0]
    tls = ["--authfile", str(standin / "auth.json")]
    certs = str(standin / "ca" / "certs.d")
    layout = Layout(Path(workdir) / "layout")
    subprocess.run(["skopeo", "copy", "--quiet", "--src-cert-dir", certs, *tls,
                    "docker://127.0.0.1:5443/%s@%s" % (path, entry["digest"]), "oci:%s:base" % layout.path],
                   check=True, timeout=600)
    digests = {"A": entry["digest"]}
    for name, env in variants.items():
        derive(layout, "base", name, env, name)
        digest_file = Path(workdir) / ("%s.digest" % name)
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-cert-dir", certs, *tls, "--digestfile", str(digest_file),
                        "oci:%s:%s" % (layout.path, name), "docker://127.0.0.1:5443/%s:upgrade-test-%s" % (path, name)],
                       check=True, timeout=600)
        digests[name] = digest_file.read_text().strip()
    return digests


def manifests(cache, digests, out):
    """The shared release-manifest.yml as version A, and one copy per variant with dify_api's digest replaced."""
    base = yaml.safe_load((Path(cache) / "harbor-standin" / "release-manifest.yml").read_text())
    written = {}
    for name, digest in digests.items():
        manifest = copy.deepcopy(base)
        api = manifest["images"]["dify_api"]
        if name != "A":
            api.update(digest=digest, version="%s-upgrade-%s" % (api["version"], name),
                       source="STAND-IN derived by tests/integration/upgrade/standin_images.py (%s)" % name)
        path = Path(out) / ("release-manifest-%s.yml" % name)
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written[name] = path
    return written


if __name__ == "__main__":
    import os
    import sys

    cache = os.environ.get("AIRGAP_CACHE") or str(Path.home() / ".cache" / "airgap-dify-platform")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=str(out)) as tmp:
        found = build(cache, {"B-bad": {"STANDIN_MIGRATION_FAIL": "stand-in: column tenants.plan cannot be cast"},
                              "B-good": {}}, tmp)
    print(json.dumps({k: str(v) for k, v in manifests(cache, found, out).items()}, indent=1))
