"""The record of applied objects: when it may skip an apply, and how it is kept on disk."""

import json
import os
import stat

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.applied import (
    AppliedRecord,
    default_record_dir,
    manifest_digest,
)

MANIFEST = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "ai"}, "data": {"a": "1"}}


def live(uid="u-1", rv="100"):
    return dict(MANIFEST, metadata=dict(MANIFEST["metadata"], uid=uid, resourceVersion=rv))


def test_the_digest_covers_the_manifest_the_field_manager_and_force():
    digest = manifest_digest(MANIFEST, "airgap.dify_platform", True)
    assert digest == manifest_digest(json.loads(json.dumps(MANIFEST)), "airgap.dify_platform", True)
    assert digest != manifest_digest(dict(MANIFEST, data={"a": "2"}), "airgap.dify_platform", True)
    assert digest != manifest_digest(MANIFEST, "someone-else", True)
    assert digest != manifest_digest(MANIFEST, "airgap.dify_platform", False)


def test_only_the_same_manifest_on_the_same_untouched_object_is_skipped():
    record = AppliedRecord()
    digest = manifest_digest(MANIFEST, "m", True)
    assert not record.unchanged_since_applied(MANIFEST, live(), digest)
    record.remember(MANIFEST, live(), digest)
    assert record.unchanged_since_applied(MANIFEST, live(), digest)
    assert not record.unchanged_since_applied(MANIFEST, live(rv="101"), digest), "written since"
    assert not record.unchanged_since_applied(MANIFEST, live(uid="u-2"), digest), "deleted and created again"
    assert not record.unchanged_since_applied(MANIFEST, live(), manifest_digest(dict(MANIFEST, data={}), "m", True))
    other = dict(MANIFEST, metadata={"name": "settings", "namespace": "other"})
    assert not record.unchanged_since_applied(other, live(), digest), "another object"


def test_an_object_without_a_resource_version_is_never_skipped():
    record = AppliedRecord()
    record.remember(MANIFEST, {"metadata": {}}, "d")
    assert not record.unchanged_since_applied(MANIFEST, {"metadata": {}}, "d")


def test_secrets_are_never_recorded():
    record = AppliedRecord()
    assert record.covers(MANIFEST)
    assert not record.covers({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})


def test_the_record_is_kept_per_cluster_readable_by_its_owner_only(tmp_path):
    directory = tmp_path / "applied"
    record = AppliedRecord.load(str(directory), "https://api.one:6443")
    digest = manifest_digest(MANIFEST, "m", True)
    record.remember(MANIFEST, live(), digest)
    record.save()
    (path,) = directory.iterdir()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert AppliedRecord.load(str(directory), "https://api.one:6443").unchanged_since_applied(MANIFEST, live(), digest)
    assert not AppliedRecord.load(str(directory), "https://api.two:6443").unchanged_since_applied(MANIFEST, live(), digest)


def test_an_unreadable_record_is_an_empty_one(tmp_path):
    record = AppliedRecord.load(str(tmp_path), "https://api.one:6443")
    with open(record.path, "w") as out:
        out.write("{not json")
    again = AppliedRecord.load(str(tmp_path), "https://api.one:6443")
    assert again.entries == {}
    again.save()  # nothing remembered: the broken file is left for the next real apply to replace
    with open(record.path) as written:
        assert written.read() == "{not json"


def test_the_default_record_lives_in_the_user_s_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_record_dir() == str(tmp_path / "airgap.dify_platform" / "applied")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_record_dir() == str(tmp_path / "home" / ".cache" / "airgap.dify_platform" / "applied")
