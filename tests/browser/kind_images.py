"""The images of the browser tier on kind, pushed by digest to the Harbor stand-in.

* The platform's images (Keycloak, OAuth2-Proxy, the Dify stand-ins) come from
  hack/images' recipes and stamps, built by ``make images`` as for the kind
  scenario.
* The test router (tests/browser/kind/test-router/recipe.yml) is test
  infrastructure, built here with hack/images' builder from a recipe kept
  outside hack/images: it is no entry of release/manifest.yml.

Each image is pushed to ``<stand-in>/<project>/<path>`` as hack/images'
push does, but this module writes none of the stand-in's shared files
(images.json, release-manifest.yml): the references are returned, and the
tier's inventory maps them through ``dify_platform_image_overrides``.

  python tests/browser/kind_images.py   build the router, push everything, print the references (JSON)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "hack" / "images"))

# pylint: disable=wrong-import-position
from airgap_images.builder import Builder  # noqa: E402
from airgap_images.harbor import Standin  # noqa: E402
from airgap_images.push import mirror_path  # noqa: E402
from airgap_images.recipe import Recipe, load_manifest  # noqa: E402

ROUTER_RECIPE = "test-router"
ROUTER_ENTRY = "test_router"
# The router's own "manifest entry", for the builder only: nginx from Debian, no upstream image.
ROUTER_MANIFEST = {ROUTER_ENTRY: {"repository": "localhost/airgap-test/router", "version": "deb:nginx",
                                  "digest": None}}
# The platform recipes the tier runs, from hack/images.
PLATFORM_RECIPES = ("keycloak", "oauth2-proxy", "standin")


def cache_dir():
    return Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")


class RouterBuilder(Builder):
    """hack/images' builder, reading the router recipe from tests/browser/kind."""

    def recipe(self, name):
        return Recipe(name, manifest=ROUTER_MANIFEST, images_dir=HERE / "kind")

    def stamp_path(self, name):
        # Not hack/images' stamps directory: its stamps are one per recipe of hack/images.
        path = self.root / "stamps-browser-kind" / ("%s.json" % name)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def _pushed(registry, path, digest):
    status, _headers, _body = registry.request(
        "HEAD", "/v2/%s/manifests/%s" % (path, digest),
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    return status == 200


def _push(builder, stamp, standin, registry, repositories, log):
    refs = {}
    auth = standin.write_auth()
    layout = builder.root / "oci" / stamp["recipe"]
    for entry, image in stamp["images"].items():
        path = mirror_path(repositories[entry], standin.project)
        if not _pushed(registry, path, image["digest"]):
            with tempfile.TemporaryDirectory() as tmp:
                digest_file = Path(tmp) / "digest"
                subprocess.run(["skopeo", "copy", "--quiet", "--dest-cert-dir", str(standin.ca.cert_dir),
                                "--dest-authfile", str(auth), "--digestfile", str(digest_file),
                                "oci:%s:%s" % (layout, entry),
                                "docker://%s/%s:%s" % (standin.push_host, path, "airgap-" + stamp["hash"][:16])],
                               check=True, timeout=1800)
                if digest_file.read_text().strip() != image["digest"]:
                    raise RuntimeError("%s: pushed a digest other than the one built" % entry)
            log("pushed %s/%s@%s" % (standin.registry_host, path, image["digest"]))
        refs[entry] = "%s/%s@%s" % (standin.registry_host, path, image["digest"])
    return refs


def build_and_push(log=print):
    """{manifest entry: reference in the stand-in} for the platform images and the router."""
    cache = cache_dir()
    standin = Standin(cache)
    registry = standin.up()
    platform = Builder(cache)
    manifest = load_manifest()
    refs = {}
    for name in PLATFORM_RECIPES:
        stamp = platform.read_stamp(name)
        if not stamp:
            raise RuntimeError("hack/images recipe %s is not built: run make images IMAGES=%s" % (name, name))
        refs.update(_push(platform, stamp, standin, registry,
                          {entry: data["repository"] for entry, data in manifest.items()}, log))
    router = RouterBuilder(cache)
    stamp = router.build(ROUTER_RECIPE, log=log)
    refs.update(_push(router, stamp, standin, registry,
                      {ROUTER_ENTRY: ROUTER_MANIFEST[ROUTER_ENTRY]["repository"]}, log))
    return {"registry": standin.registry_host, "ca": str(standin.ca.cert_path), "robot": str(standin.dir / "robot.json"),
            "release_manifest": str(standin.dir / "release-manifest.yml"), "images": refs}


if __name__ == "__main__":
    print(json.dumps(build_and_push(log=lambda line: print(line, file=sys.stderr)), indent=1, sort_keys=True))
