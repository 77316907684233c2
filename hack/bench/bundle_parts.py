"""Size and time of each part of the bundle (issue 20), each made alone in an empty store.

Parts, as the mirror role's ``mirror_bundle`` module makes them (plugins/module_utils/bundle/collect.py):

* ``collection``: ``ansible-galaxy collection build`` of a snapshot of this collection;
* ``dependencies``: the collections it depends on, packed from the controller's installed copies;
* ``wheels`` once per Python version (the role's default requirements: ansible-core and
  meta/requirements-runtime.txt; its default platforms), each from an empty pip cache, so
  the figure includes the download from the index;
* ``dify_plugins``: the test plugin (tests/fixtures/dify-plugin/airgap_echo) signed with a
  fresh key, and its wheels for the plugin daemon's Python 3.12 (empty pip cache too).

Then the bundle is packed into archive parts the way the engine packs the store
(release/archive.py) and the packing is timed. The images' figures come from
``make bench-mirror``; the plugin install time from
tests/integration/mirror/test_dify_plugin_offline.py, which prints it.
Results: stdout and ``$AIRGAP_CACHE/bench-bundle/results-<time>.json``.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

import conftest  # noqa: E402,F401 - makes the collection importable  # pylint: disable=unused-import
from harness.registry.registry import cache_root  # noqa: E402
from helpers.collection_snapshot import snapshot_collection  # noqa: E402

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg  # noqa: E402
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.collect import Collector  # noqa: E402
from ansible_collections.airgap.dify_platform.plugins.module_utils.release import archive  # noqa: E402

PLUGIN = REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo"
# The role's defaults (roles/mirror/defaults/main.yml).
PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64"]
DAEMON_PLATFORMS = [*PLATFORMS, "manylinux_2_34_x86_64"]


def params(store, parts, **extra):
    from ansible.release import __version__ as core_version

    galaxy = str(Path(sys.executable).parent / "ansible-galaxy")
    base = {"store": str(store), "parts": parts, "galaxy_path": galaxy, "python": sys.executable, "collections_paths": [],
            "python_requirements": ["ansible-core==%s" % core_version],
            "python_requirement_files": [str(REPO / "meta" / "requirements-runtime.txt")], "python_versions": ["3.11"],
            "python_platforms": PLATFORMS, "python_implementation": "cp", "pip_extra_args": [], "dify_plugins": [],
            "dify_plugin_dsl_files": [], "dify_plugin_python_versions": ["3.12"], "dify_plugin_platforms": DAEMON_PLATFORMS}
    base.update(extra)
    return base


def part(work, name, parts, **extra):
    store = work / name / "store"
    store.mkdir(parents=True)
    os.environ["PIP_CACHE_DIR"] = str(work / name / "pip-cache")  # empty: the download is in the figure
    result = Collector(params(store, parts, **extra)).run()
    shutil.rmtree(str(work / name / "pip-cache"), ignore_errors=True)
    return store, result["parts"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--python-versions", nargs="+", default=["3.11", "3.12"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bundle-", dir=str(cache_root())))
    rows = []
    try:
        source = snapshot_collection(work / "collection-source")
        store, report = part(work, "collection", ["collection", "dependencies"], collection_source=source)
        for name in ("collection", "dependencies"):
            rows.append({"part": name, "files": report[name]["files"], "bytes": report[name]["bytes"],
                         "seconds": report[name]["seconds"]})
        for version in args.python_versions:
            _store, report = part(work, "wheels-%s" % version, ["wheels"], python_versions=[version])
            rows.append({"part": "wheels, CPython %s, %s" % (version, " ".join(PLATFORMS)), "files": report["wheels"]["files"],
                         "bytes": report["wheels"]["bytes"], "seconds": report["wheels"]["seconds"]})
        private, _public = difypkg.generate_key(bits=2048)
        key = work / "operator.pem"
        key.write_bytes(private)
        _store, report = part(work, "dify_plugins", ["dify_plugins"], dify_plugins=[str(PLUGIN)],
                              dify_plugin_signing_key=str(key))
        rows.append({"part": "dify_plugins (airgap_echo + wheels, CPython 3.12)", "files": report["dify_plugins"]["files"],
                     "bytes": report["dify_plugins"]["bytes"], "seconds": report["dify_plugins"]["seconds"]})
        # Collection + dependencies into archive parts, as the engine packs the store.
        (store / "inventory.json").write_text("{}")
        began = time.monotonic()
        archive.pack(str(store), str(work / "media"), "mirror-bench", 4 << 30)
        rows.append({"part": "archive parts of collection + dependencies (pack)", "files": len(os.listdir(str(work / "media"))),
                     "bytes": sum(p.stat().st_size for p in (work / "media").iterdir()),
                     "seconds": round(time.monotonic() - began, 2)})
    finally:
        shutil.rmtree(str(work), ignore_errors=True)
    out_dir = cache_root() / "bench-bundle"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ("results-%s.json" % time.strftime("%Y%m%dT%H%M%S"))
    out.write_text(json.dumps({"load": os.getloadavg(), "parts": rows}, indent=1))
    print("bundle parts (each made alone, empty pip cache; load %.1f %.1f %.1f)" % os.getloadavg())
    print("  %-62s %6s %10s %9s" % ("part", "files", "size", "time"))
    for row in rows:
        print("  %-62s %6d %8.2f MiB %7.1f s" % (row["part"], row["files"], row["bytes"] / 1048576.0, row["seconds"]))
    print("  results: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
