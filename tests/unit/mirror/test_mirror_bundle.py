"""The mirror bundle's pure parts (plugins/module_utils/bundle): index, packing, PEP 503 index, transfer.

The real tools (ansible-galaxy, pip, the archive parts through the role) are exercised by
tests/integration/mirror/test_mirror_bundle.py; here, the logic those runs rely on.
"""

import hashlib
import json
import os
import tarfile

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import collections as colls
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import files, marketplace, simple_index, transfer
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.collect import Collector
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive


@pytest.mark.parametrize("version,spec,ok", [
    ("6.2.0", ">=5.0.0,<7.0.0", True), ("7.0.0", ">=5.0.0,<7.0.0", False), ("4.9.9", ">=5.0.0", False),
    ("1.0.0", "*", True), ("1.0.0", "1.0.0", True), ("1.0.1", "!=1.0.1", False), ("2.0.0-beta1", ">=2.0.0", True),
])
def test_galaxy_version_ranges(version, spec, ok):
    assert colls.satisfies(version, spec) is ok


def installed_collection(root, drop=None):
    """An installed collection as ansible-galaxy leaves it; ``drop`` removes a listed file (as the ansible package does)."""
    path = root / "ansible_collections" / "ns" / "coll"
    (path / "plugins").mkdir(parents=True)
    (path / "plugins" / "a.py").write_text("print('a')\n")
    (path / ".github").mkdir()
    (path / ".github" / "ci.yml").write_text("on: push\n")
    entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    for rel in ("plugins", ".github"):
        entries.append({"name": rel, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1})
    for rel in ("plugins/a.py", ".github/ci.yml"):
        digest = hashlib.sha256((path / rel).read_bytes()).hexdigest()
        entries.append({"name": rel, "ftype": "file", "chksum_type": "sha256", "chksum_sha256": digest, "format": 1})
    files_bytes = json.dumps({"files": entries, "format": 1}).encode()
    (path / "FILES.json").write_bytes(files_bytes)
    manifest = {"collection_info": {"namespace": "ns", "name": "coll", "version": "1.2.3", "dependencies": {}},
                "file_manifest_file": {"name": "FILES.json", "ftype": "file", "chksum_type": "sha256",
                                       "chksum_sha256": hashlib.sha256(files_bytes).hexdigest(), "format": 1}, "format": 1}
    (path / "MANIFEST.json").write_text(json.dumps(manifest))
    if drop:
        (path / drop).unlink()
    return path


def members(tarball):
    with tarfile.open(str(tarball), "r:gz") as tar:
        return {m.name: (tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}


def test_repack_is_deterministic_and_installable_shape(tmp_path):
    path = installed_collection(tmp_path)
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    out1.mkdir()
    out2.mkdir()
    name, _manifest = colls.repack_installed(str(path), str(out1))
    assert name == "ns-coll-1.2.3.tar.gz"
    colls.repack_installed(str(path), str(out2))
    assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), "same installed collection, same bytes"
    content = members(out1 / name)
    assert {"MANIFEST.json", "FILES.json", "plugins/a.py", ".github/ci.yml"} <= set(content)


def test_repack_leaves_out_missing_files_and_rewrites_the_checksums(tmp_path):
    path = installed_collection(tmp_path, drop=".github/ci.yml")
    name, manifest = colls.repack_installed(str(path), str(tmp_path))
    content = members(tmp_path / name)
    assert ".github/ci.yml" not in content
    listed = [e["name"] for e in json.loads(content["FILES.json"])["files"]]
    assert ".github/ci.yml" not in listed and "plugins/a.py" in listed
    # MANIFEST.json names the sha256 of the FILES.json it is shipped with (ansible-galaxy checks it).
    shipped = json.loads(content["MANIFEST.json"])
    assert shipped["file_manifest_file"]["chksum_sha256"] == hashlib.sha256(content["FILES.json"]).hexdigest()
    assert manifest == shipped


def test_repack_refuses_a_collection_edited_in_place(tmp_path):
    path = installed_collection(tmp_path)
    (path / "plugins" / "a.py").write_text("print('changed')\n")
    with pytest.raises(files.BundleError, match=r"differs from its FILES\.json.*plugins/a\.py"):
        colls.repack_installed(str(path), str(tmp_path))


def test_resolve_dependencies_needs_an_installed_version_in_range(tmp_path):
    installed_collection(tmp_path)
    listing = {str(tmp_path / "ansible_collections"): {"ns.coll": {"version": "1.2.3"}}}
    found = colls.resolve_dependencies({"collection_info": {"dependencies": {"ns.coll": ">=1.0.0,<2.0.0"}}}, listing)
    assert [(f, v) for f, _p, v in found] == [("ns.coll", "1.2.3")]
    with pytest.raises(files.BundleError, match=r"outside >=2\.0\.0"):
        colls.resolve_dependencies({"collection_info": {"dependencies": {"ns.coll": ">=2.0.0"}}}, listing)
    with pytest.raises(files.BundleError, match=r"other\.coll .* is not installed"):
        colls.resolve_dependencies({"collection_info": {"dependencies": {"other.coll": "*"}}}, listing)


def test_pep503_index_normalises_names_and_carries_sha256(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "PyYAML-6.0.4-cp311-cp311-manylinux2014_x86_64.whl").write_bytes(b"yaml")
    (wheels / "ansible_core-2.19.14-py3-none-any.whl").write_bytes(b"core")
    paths = sorted(str(p) for p in wheels.iterdir())
    assert simple_index.write(str(tmp_path / "pub"), paths) is True
    page = (tmp_path / "pub" / "simple" / "pyyaml" / "index.html").read_text()
    assert "../../files/PyYAML-6.0.4-cp311-cp311-manylinux2014_x86_64.whl#sha256=%s" % hashlib.sha256(b"yaml").hexdigest() in page
    assert (tmp_path / "pub" / "simple" / "ansible-core" / "index.html").is_file()
    assert 'href="ansible-core/"' in (tmp_path / "pub" / "simple" / "index.html").read_text()
    assert simple_index.write(str(tmp_path / "pub"), paths) is False, "a rerun writes nothing"
    assert simple_index.write(str(tmp_path / "pub"), paths[:1]) is True
    assert not (tmp_path / "pub" / "simple" / "ansible-core").exists(), "a project no longer there is removed"


def bundle_store(root):
    """A store with images' files and a bundle of one wheel, as mirror_to_disk leaves it."""
    store = root / "store"
    (store / "blobs" / "sha256").mkdir(parents=True)
    (store / "blobs" / "sha256" / ("a" * 64)).write_bytes(os.urandom(1_500_000))
    (store / "inventory.json").write_text(json.dumps({"kind": "x"}))
    bundle = store / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    (bundle / "wheels" / "w-1-py3-none-any.whl").write_bytes(b"wheel")
    index = files.empty_index()
    index["parts"]["wheels"] = {"key": "k", "files": ["wheels/w-1-py3-none-any.whl"]}
    index["files"] = files.record_files(str(bundle), ["wheels/w-1-py3-none-any.whl"])
    (bundle / "index.json").write_bytes(files.dumps(index))
    return store, index


def test_the_bundle_travels_in_the_engine_parts_and_comes_out_intact(tmp_path):
    store, index = bundle_store(tmp_path)
    parts = tmp_path / "parts"
    archive.pack(str(store), str(parts), "m", 1 << 20)
    assert transfer.archive_index(str(parts), "m") == files.dumps(index)
    dest = tmp_path / "bastion"
    assert transfer.extract(str(parts), "m", str(dest)) == 2
    assert not (dest / "blobs").exists(), "only bundle/ is extracted"
    assert files.verify(str(dest / "bundle"), index) == []


def test_a_tampered_part_or_file_is_detected(tmp_path):
    store, index = bundle_store(tmp_path)
    parts = tmp_path / "parts"
    record = archive.pack(str(store), str(parts), "m", 1 << 20)
    first = parts / record["parts"][0]["name"]
    data = bytearray(first.read_bytes())
    data[600] ^= 0xFF
    first.write_bytes(bytes(data))
    with pytest.raises(files.BundleError, match="corrupted"):
        transfer.extract(str(parts), "m", str(tmp_path / "bastion"))
    (store / "bundle" / "wheels" / "w-1-py3-none-any.whl").write_bytes(b"WHEEL")
    assert files.verify(str(store / "bundle"), index) == ["wheels/w-1-py3-none-any.whl does not match its sha256 (corrupted)"]


def test_parts_written_without_this_bundle_are_dropped_so_the_engine_writes_them_again(tmp_path):
    store, _index = bundle_store(tmp_path)
    parts = tmp_path / "parts"
    archive.pack(str(store), str(parts), "m", 1 << 20)
    params = {"store": str(store), "parts": [], "archive_dir": str(parts), "archive_prefix": "m"}
    result = Collector(params).run()  # the bundle is dropped: the parts no longer match
    assert result["changed"] is True and result["parts_invalidated"] is True
    assert not (parts / "m.parts.json").exists()
    assert not (store / "bundle" / "wheels" / "w-1-py3-none-any.whl").exists()
    archive.pack(str(store), str(parts), "m", 1 << 20)
    again = Collector(params).run()
    assert again["changed"] is False and again["parts_invalidated"] is False
    assert (parts / "m.parts.json").exists()


def test_check_mode_writes_nothing(tmp_path):
    store, _index = bundle_store(tmp_path)
    before = (store / "bundle" / "index.json").read_bytes()
    result = Collector({"store": str(store), "parts": []}, check_mode=True).run()
    assert result["changed"] is True
    assert (store / "bundle" / "index.json").read_bytes() == before


def test_a_bundle_index_of_another_kind_is_refused():
    with pytest.raises(files.BundleError, match="not a mirror bundle index"):
        files.parse(json.dumps({"kind": "other", "schema": 1}).encode(), "x")


def test_disk_to_mirror_check_mode_extracts_and_publishes_nothing(tmp_path):
    from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.install import Installer

    store, _index = bundle_store(tmp_path)
    parts = tmp_path / "parts"
    archive.pack(str(store), str(parts), "m", 1 << 20)
    bastion, publish = tmp_path / "bastion" / "store", tmp_path / "pub"
    params = {"store": str(bastion), "archive_dir": str(parts), "publish_dir": str(publish)}
    planned = Installer(params, check_mode=True).run()
    assert planned["changed"] is True  # check mode tells what a real run would change
    assert planned["parts"]["take"]["status"] == "would_extract" and planned["parts"]["publish"]["status"] == "would_publish"
    assert not bastion.exists() and not publish.exists()
    done = Installer(params).run()
    assert done["changed"] is True and done["parts"]["take"]["status"] == "extracted"
    assert (publish / "python" / "simple" / "w" / "index.html").is_file()
    again = Installer(params).run()
    assert again["changed"] is False and again["parts"]["take"]["status"] == "unchanged"
    assert again["parts"]["publish"]["status"] == "unchanged"
    assert Installer(params, check_mode=True).run()["changed"] is False, "nothing to do: check mode says so"
    (publish / "python" / "files" / "w-1-py3-none-any.whl").write_bytes(b"other")
    assert Installer(params, check_mode=True).run()["changed"] is True, "a changed published file would be written again"


def test_plugins_named_by_dsl_dependencies_are_found_by_author_name_version(tmp_path):
    from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg, dsl_plugins
    from helpers.paths import REPO

    packages = tmp_path / "packages"
    packages.mkdir()
    (packages / "echo.difypkg").write_bytes(difypkg.pack(str(REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo")))
    dsl = tmp_path / "app.yml"
    # Dify's PluginDependency, as an export writes it (api/core/plugin/entities/plugin.py).
    dsl.write_text(
        "app: {name: x, mode: workflow}\nkind: app\nversion: 0.6.0\ndependencies:\n"
        "- current_identifier: null\n  type: marketplace\n  value:\n"
        "    marketplace_plugin_unique_identifier: airgap/airgap_echo:0.0.1@" + "a" * 64 + "\n"
        "- type: package\n  value: {plugin_unique_identifier: 'langgenius/openai:0.2.6@" + "b" * 64 + "'}\n")
    needed = dsl_plugins.identifiers([str(dsl)])
    assert sorted(needed) == ["airgap/airgap_echo:0.0.1@" + "a" * 64, "langgenius/openai:0.2.6@" + "b" * 64]
    found, missing = dsl_plugins.match(needed, str(packages))
    assert found == [str(packages / "echo.difypkg")]
    assert missing == {"langgenius/openai:0.2.6@" + "b" * 64: ["app.yml"]}
    store, _index = bundle_store(tmp_path)
    with pytest.raises(files.BundleError, match=r"langgenius/openai:0\.2\.6@b+ \(app\.yml\)"):
        Collector({"store": str(store), "parts": ["dify_plugins"], "dify_plugins": [], "dify_plugin_dsl_files": [str(dsl)],
                   "dify_plugin_dir": str(packages), "dify_plugin_python_versions": ["3.12"], "dify_plugin_platforms": []}).run()
    with pytest.raises(files.BundleError, match="not a plugin unique identifier"):
        dsl_plugins.parse_identifier("openai")


@pytest.mark.parametrize("base", ["", "ftp://marketplace.example", "marketplace.example"])
def test_a_marketplace_url_that_is_not_http_is_refused_naming_the_option_before_any_request(base):
    with pytest.raises(ValidationError, match="dify_plugin_marketplace_url must be an http:// or https:// URL"):
        marketplace.fetch(base, "airgap/airgap_echo:0.0.1@" + "a" * 64, timeout=0.01)
