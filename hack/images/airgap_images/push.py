"""Push the built images into the Harbor stand-in by digest, and write what the kind inventory reads.

Each manifest entry goes to ``<registry>/<project>/<path>``, where ``<path>``
is the upstream repository without its registry host: the rule the roles use
to rewrite references to the mirror (plugins/module_utils/release/reference.py,
``mirror_repository``). skopeo copies the OCI layout as it is, so the digest in
the registry is the digest built; a different one fails the push.

Written to ``<cache>/harbor-standin/``:

* ``images.json``: per manifest entry, real or stand-in, the upstream
  version, the version built, the pushed digest and the full reference
  (``null`` digest for an entry nothing was built for);
* ``release-manifest.yml``: release/manifest.yml with the built digests in
  place of the upstream ones, for ``dify_platform_release_manifest``: the roles
  then pull ``<registry>/<project>/<path>@<digest built here>`` unchanged;
* ``image-overrides.yml``: the same as ``dify_platform_image_overrides``.
"""

import json
import subprocess
import tempfile
from pathlib import Path

import yaml

from .recipe import MANIFEST, load_manifest


def mirror_path(repository, project):
    """``docker.io/library/redis`` -> ``<project>/library/redis`` (the registry host dropped)."""
    return "%s/%s" % (project, repository.split("/", 1)[1])


def tagged_entries():
    """The entries whose reference names a tag besides the digest, as dify_platform resolves them
    (``__dify_platform_tagged_images``: CloudNativePG's webhook refuses an imageName without a tag)."""
    constants = yaml.safe_load((Path(MANIFEST).parents[1] / "roles" / "dify_platform" / "vars" / "main.yml").read_text())
    return frozenset(constants.get("__dify_platform_tagged_images") or ())


def _pushed(registry, path, digest):
    status, _headers, _body = registry.request(
        "HEAD", "/v2/%s/manifests/%s" % (path, digest),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    return status == 200


def push_all(builder, standin, registry, names, log=print):
    manifest = load_manifest()
    entries = {}
    for entry, upstream in manifest.items():
        entries[entry] = {"repository": upstream["repository"], "upstream_version": str(upstream["version"]),
                          "upstream_digest": upstream["digest"], "digest": None, "reference": None,
                          "kind": "not built", "built_version": None, "recipe": None}
    auth = standin.write_auth()
    tagged = tagged_entries()
    for name in names:
        stamp = builder.read_stamp(name)
        if not stamp:
            log("%-14s not built; skipped" % name)
            continue
        layout = builder.root / "oci" / name
        for entry, image in stamp["images"].items():
            path = mirror_path(manifest[entry]["repository"], standin.project)
            if not _pushed(registry, path, image["digest"]):
                with tempfile.TemporaryDirectory() as tmp:
                    digest_file = Path(tmp) / "digest"
                    subprocess.run(
                        ["skopeo", "copy", "--quiet", "--dest-cert-dir", str(standin.ca.cert_dir),
                         "--dest-authfile", str(auth), "--digestfile", str(digest_file),
                         "oci:%s:%s" % (layout, entry),
                         "docker://%s/%s:%s" % (standin.push_host, path, "airgap-" + stamp["hash"][:16])],
                        check=True, timeout=1800)
                    pushed = digest_file.read_text().strip()
                if pushed != image["digest"]:
                    raise RuntimeError("%s: pushed %s, built %s" % (entry, pushed, image["digest"]))
                log("%-20s pushed %s/%s@%s" % (entry, standin.registry_host, path, image["digest"]))
            entries[entry].update({
                "digest": image["digest"], "kind": stamp["kind"],
                "built_version": image.get("built_version", stamp["built_version"]),
                "recipe": name, "reference": "%s/%s%s@%s" % (
                    standin.registry_host, path, ":" + str(manifest[entry]["version"]) if entry in tagged else "",
                    image["digest"])})
    out = standin.dir
    (out / "images.json").write_text(json.dumps({
        "registry": standin.registry_host, "project": standin.project, "ca": str(standin.ca.cert_path),
        "robot": standin.robot()["username"], "auth_file": str(auth), "entries": entries}, indent=1, sort_keys=True))
    release = yaml.safe_load(Path(MANIFEST).read_text(encoding="utf-8"))
    for entry, data in entries.items():
        if data["digest"]:
            release["images"][entry]["digest"] = data["digest"]
            release["images"][entry]["source"] = "built here by hack/images (%s, %s): %s" % (
                data["recipe"], data["kind"], data["built_version"])
    (out / "release-manifest.yml").write_text(
        "# release/manifest.yml with the digests built here (hack/images); entries not built keep upstream's.\n"
        + yaml.safe_dump(release, sort_keys=False, width=200))
    overrides = {entry: data["reference"] for entry, data in entries.items() if data["reference"]}
    (out / "image-overrides.yml").write_text(yaml.safe_dump({"dify_platform_image_overrides": overrides}, width=200))
    return entries
