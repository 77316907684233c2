#!/usr/bin/env python
"""Build the workload images of the kind scenario from their recipes (hack/images/<name>/recipe.yml).

  build.py build [NAME ...] [--force] [--no-load] [--no-smoke]   build (or find warm) each image
  build.py list                                                  recipes, kind, manifest entries, stamp state
  build.py hash NAME                                             the recipe's content hash
  build.py table                                                 the docs table of differences from upstream

Podman reads CONTAINERS_CONF; the Makefile points it at <cache>/images/containers.conf.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from airgap_images import recipe as recipes
from airgap_images.builder import Builder
from airgap_images.table import differences_table


def cache_dir():
    return Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["build", "list", "hash", "table"])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp is warm")
    parser.add_argument("--no-load", action="store_true", help="only the OCI layout, not the local podman image")
    parser.add_argument("--no-smoke", action="store_true", help="skip the restricted-v2 smoke run")
    args = parser.parse_args(argv)
    names = args.names or recipes.names()
    if args.action == "table":
        print(differences_table(names))
        return 0
    builder = Builder(cache_dir())
    if args.action == "hash":
        for name in names:
            print(name, builder.recipe(name).content_hash(builder.tools))
        return 0
    if args.action == "list":
        for name in names:
            recipe = builder.recipe(name)
            stamp = builder.read_stamp(name)
            warm = builder.is_warm(recipe, recipe.content_hash(builder.tools), load=False)
            print("%-14s %-9s %-5s %s" % (name, recipe.kind, "warm" if warm else "cold",
                                          ",".join(recipe.entries) + (" (%s)" % stamp["built_version"] if stamp else "")))
        return 0
    failed = []
    total = time.monotonic()
    for name in names:
        try:
            builder.build(name, force=args.force, load=not args.no_load, run_smoke=not args.no_smoke)
        except Exception as exc:
            print("%-14s FAILED: %s" % (name, exc), file=sys.stderr)
            failed.append(name)
    print("total %.1fs for %d image recipe(s)%s" % (time.monotonic() - total, len(names),
                                                    "; failed: " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
