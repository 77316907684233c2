"""mirror_to_mirror (registry to registry, through the role and Harbor), tags, and chosen platforms."""

import json

import yaml

from mirror_support import engine_answer, failure_message, lab  # noqa: F401  # pylint: disable=unused-import


def test_mirror_to_mirror_with_a_tag(lab, tmp_path):  # noqa: F811
    manifest = tmp_path / "manifest.yml"
    images = {}
    for name, digest in lab.digests.items():
        images[name] = {"repository": "%s/src/%s" % (lab.source.host, name), "digest": digest}
    images["multi-oci"]["tag"] = "v1"
    manifest.write_text(yaml.safe_dump({"schema": 1, "release": "direct", "images": images}))
    project = lab.unique("direct")
    run = lab.run_role("mirror_to_mirror", tmp_path / "work", str(manifest), mirror_project=project)
    assert run.returncode == 0, failure_message(run)
    answer = engine_answer(run)
    assert answer["summary"]["copied"] == 4
    for name, digest in lab.digests.items():
        assert lab.manifest_digest(lab.backend, "%s/src/%s" % (project, name), digest) == digest
    # The entry that names a tag is also there by tag (for an ImageTagMirrorSet), with the same digest.
    assert lab.manifest_digest(lab.backend, "%s/src/multi-oci" % project, "v1") == lab.digests["multi-oci"]
    again = lab.run_role("mirror_to_mirror", tmp_path / "work", str(manifest), mirror_project=project)
    assert engine_answer(again)["summary"]["present"] == 4


def test_chosen_platforms_make_a_sparse_index_with_the_same_digest(lab, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "manifest.yml", names=["multi-oci", "multi-docker", "app-oci"])
    directory = tmp_path / "disk"
    rc, answer = lab.run_cli(lab.cli_params("mirror_to_disk", directory, manifest, platforms=["linux/arm64"]))
    assert rc == 0, answer
    inventory = json.loads((directory / "store" / "inventory.json").read_text())
    multi = dict((i["name"], i) for i in inventory["images"])
    assert multi["multi-oci"]["platforms"] == ["linux/arm64"] and multi["multi-oci"]["sparse"] is True
    assert multi["app-oci"]["sparse"] is False, "a single-platform image is copied as it is"
    full = lab.artifacts["multi-oci"]
    amd64 = full.images[0]
    stored = set(n for n in (directory / "store" / "blobs" / "sha256").iterdir())
    assert amd64.manifest.digest[7:] not in set(p.name for p in stored), "the amd64 image was not copied"

    # Harbor (like distribution's default) refuses an index whose images are missing;
    # a registry that accepts sparse indexes gets the index with its original digest.
    rc, pushed = lab.run_cli(lab.cli_params("disk_to_mirror", directory, manifest, registry=lab.sparse.host,
                                            project="sparse", dest_username=lab.sparse.username,
                                            dest_password=lab.sparse.password))
    assert rc == 0, pushed
    for name in ("multi-oci", "multi-docker", "app-oci"):
        assert lab.manifest_digest(lab.sparse, "sparse/src/%s" % name, lab.digests[name]) == lab.digests[name]
    assert lab.manifest_digest(lab.sparse, "sparse/src/multi-oci", full.images[1].digest) == full.images[1].digest
    assert lab.manifest_digest(lab.sparse, "sparse/src/multi-oci", amd64.digest) is None

    rc, refused = lab.run_cli(lab.cli_params("disk_to_mirror", directory, manifest, registry=lab.plain.host,
                                             project="sparse", dest_username=lab.plain.username,
                                             dest_password=lab.plain.password))
    assert rc == 1 and "multi-" in refused["msg"]
    statuses = dict((i["name"], i["status"]) for i in refused["images"])
    assert statuses["app-oci"] == "copied" and statuses["multi-oci"] == "failed"
