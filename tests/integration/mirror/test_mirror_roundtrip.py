"""The whole air gap through the role: registry -> disk -> archive parts -> (media) -> Harbor.

Real registries on both ends (distribution with TLS and htpasswd), the fake Harbor in
front of the destination one. Checks that the digests are the same on both ends, that
a rerun transfers nothing (measured in the registries' own request logs), and that
check mode changes nothing.
"""

import json
import shutil

from mirror_support import PUSH_SECRET, engine_answer, failure_message, lab  # noqa: F401  # pylint: disable=unused-import


def test_round_trip_then_rerun_transfers_nothing(lab, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "manifest.yml")
    connected, bastion, media = tmp_path / "connected", tmp_path / "bastion", tmp_path / "media"
    project = lab.unique("mirror")

    # Connected side: registry -> disk, split into 1 MiB parts.
    m2d = lab.run_role("mirror_to_disk", connected, manifest, mirror_archive_dir=str(media))
    assert m2d.returncode == 0, failure_message(m2d) + m2d.stderr[-3000:]
    answer = engine_answer(m2d)
    assert answer["summary"]["copied"] == 4 and answer["summary"]["failed"] == 0
    inventory = json.loads((connected / "store" / "inventory.json").read_text())
    assert dict((i["name"], i["digest"]) for i in inventory["images"]) == lab.digests
    assert all(i["complete"] for i in inventory["images"])
    multi = next(i for i in inventory["images"] if i["name"] == "multi-docker")
    assert multi["platforms"] == ["linux/amd64", "linux/arm64"]
    assert multi["media_type"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    parts = sorted(p.name for p in media.iterdir() if ".tar." in p.name)
    assert len(parts) >= 2, "1 MiB parts of about 1.6 MiB of images: %s" % parts
    # Every manifest the source serves is stored byte for byte (Docker media types included).
    for name, digest in lab.digests.items():
        assert lab.manifest_digest(lab.source, "src/" + name, digest) == digest

    # The bastion only has the media.
    bastion_media = tmp_path / "bastion-media"
    shutil.copytree(str(media), str(bastion_media))
    backend_offset = lab.backend.log_offset()
    d2m = lab.run_role("disk_to_mirror", bastion, manifest, mirror_archive_dir=str(bastion_media), mirror_project=project)
    assert d2m.returncode == 0, failure_message(d2m) + d2m.stderr[-3000:]
    pushed = engine_answer(d2m)
    assert pushed["summary"]["copied"] == 4 and pushed["extracted"] is True
    assert lab.harbor.project(project) is not None, "the role creates the project through Harbor's API"
    robot = lab.harbor.robot("robot$airgap-mirror-push")
    assert robot is not None and robot["secret"] == PUSH_SECRET
    assert {(a["resource"], a["action"]) for p in robot["permissions"] for a in p["access"]} >= {
        ("repository", "pull"), ("repository", "push")}
    for name, digest in lab.digests.items():
        # Digests equal on both ends: what the mirror serves hashes to the source's digest.
        assert lab.manifest_digest(lab.backend, "%s/src/%s" % (project, name), digest) == digest, name
    transfers = lab.backend.transfers_since(backend_offset)
    assert transfers["manifest_puts"] >= 4 and transfers["blob_uploads"] > 0
    report = json.loads((bastion / "reports" / ("disk_to_mirror-%s.json" % lab.harbor.host.replace(":", "_"))).read_text())
    assert sorted((i["name"], i["status"], i["destination"]) for i in report["images"]) == sorted(
        (n, "copied", "%s/%s/src/%s@%s" % (lab.harbor.host, project, n, d)) for n, d in lab.digests.items())

    # Reruns: nothing is read from the source, nothing is uploaded to the mirror.
    source_offset, backend_offset = lab.source.log_offset(), lab.backend.log_offset()
    again = lab.run_role("mirror_to_disk", connected, manifest, mirror_archive_dir=str(media))
    assert again.returncode == 0, failure_message(again)
    answer = engine_answer(again)
    assert answer["summary"]["copied"] == 0 and answer["summary"]["present"] == 4
    assert answer["summary"]["bytes_transferred"] == 0 and answer["archives"]["reused"] is True
    assert lab.source.transfers_since(source_offset)["blob_gets"] == 0
    d2m_again = lab.run_role("disk_to_mirror", bastion, manifest, mirror_archive_dir=str(bastion_media),
                             mirror_project=project)
    assert d2m_again.returncode == 0, failure_message(d2m_again)
    answer = engine_answer(d2m_again)
    assert answer["summary"]["copied"] == 0 and answer["summary"]["present"] == 4 and answer["extracted"] is False
    transfers = lab.backend.transfers_since(backend_offset)
    assert transfers["blob_uploads"] == 0 and transfers["manifest_puts"] == 0 and transfers["mounts"] == 0


def test_check_mode_changes_nothing(lab, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "manifest.yml", names=["app-oci", "multi-oci"])
    connected = tmp_path / "connected"
    planned = lab.run_role("mirror_to_disk", connected, manifest, check=True, mirror_archive_size="0")
    assert planned.returncode == 0, failure_message(planned)
    answer = engine_answer(planned)
    assert answer["summary"]["would_copy"] == 2 and answer["summary"]["copied"] == 0
    assert not (connected / "store").exists(), "check mode writes nothing"

    m2d = lab.run_role("mirror_to_disk", connected, manifest, mirror_archive_size="0")
    assert m2d.returncode == 0, failure_message(m2d)
    project = lab.unique("checkmode")
    backend_offset = lab.backend.log_offset()
    d2m = lab.run_role("disk_to_mirror", connected, manifest, check=True, mirror_project=project,
                       mirror_archive_size="0", mirror_harbor_manage=False, mirror_push_username="admin",
                       mirror_push_password="Harbor12345")
    lab.harbor_project(project)  # the check-mode run above must not have needed it to exist
    assert d2m.returncode == 0, failure_message(d2m)
    answer = engine_answer(d2m)
    assert answer["summary"]["would_copy"] == 2 and answer["missing_projects"] == [project]
    assert lab.backend.transfers_since(backend_offset)["manifest_puts"] == 0
