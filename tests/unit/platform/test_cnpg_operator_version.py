"""The CloudNativePG operator the release manifest ships is the one the tests run.

The kind scenario (molecule/kind/prepare.yml, hack/kind/cnpg-drill.sh) builds and runs the operator
at ``CNPG_VERSION`` of hack/localcluster/versions.env, the version whose CRDs the local control plane
serves. The manifest once pinned 1.29.0 while 1.30.1 was the one run; the image recipe takes the
manifest's entry, so the three must agree.
"""

import re

import yaml

from helpers.paths import REPO


def test_the_manifest_pins_the_operator_version_that_is_run():
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())["images"]["cnpg_operator"]
    versions = (REPO / "hack" / "localcluster" / "versions.env").read_text()
    [run] = re.findall(r"^CNPG_VERSION=v?(\S+)", versions, re.MULTILINE)
    recipe = yaml.safe_load((REPO / "hack" / "images" / "cnpg-operator" / "recipe.yml").read_text())
    assert str(manifest["version"]).lstrip("v") == run, (manifest["version"], run)
    assert str(recipe["built_version"]).lstrip("v") == run, (recipe["built_version"], run)
