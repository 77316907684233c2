"""Benchmark the Dify backup and restore playbooks against the fake console API.

1. Export N apps (default 200) with playbooks/dify_apps_export.yml, then again:
   the second run must report changed=false and leave every file byte-identical.
2. Import M of those files (default 50), unchanged, with playbooks/dify_apps_import.yml:
   it must send no write request.

Prints the requests by method and the wall-clock time of each run, and exits
non-zero when a property does not hold. Run it with `make bench-dify`.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "integration" / "dify")]

import conftest  # noqa: E402  (importing it links the collection into the cache)
from dify_support import CHAT_DSL, EMAIL, PASSWORD, SOURCES, run_playbook  # noqa: E402
from fakes.dify_console import FakeDifyConsole  # noqa: E402

TEMPLATES = [
    (SOURCES / "echo-workflow.yml").read_text(),
    (SOURCES / "echo-chat.yml").read_text(),
    (SOURCES / "basic_chatflow.yml").read_text(),
    CHAT_DSL,
]
NAMES = ["basic_auto_test", "echo-bot", "basic_chatflow", "faq-chat"]


COLLECTIONS = conftest.COLLECTIONS_ROOT


def digest(directory):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(directory).iterdir())}


def measured(fake, label, playbook, extra_vars, rows):
    fake.reset_counters()
    start = time.monotonic()
    out = run_playbook(playbook, extra_vars)
    seconds = time.monotonic() - start
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-4000:] + out.stderr[-4000:])
        raise SystemExit("%s failed (rc=%d)" % (label, out.returncode))
    counts = fake.counts_by_method()
    rows.append((label, seconds, sum(counts.values()), dict(sorted(counts.items())), len(fake.write_requests()),
                 out.stats.get("changed", 0)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=200, help="apps to export (default 200)")
    parser.add_argument("--import-apps", type=int, default=50, help="unchanged apps to import (default 50)")
    args = parser.parse_args()

    rows = []
    failures = []
    work = tempfile.mkdtemp(prefix="dify-bench-")
    try:
        with FakeDifyConsole(email=EMAIL, password=PASSWORD) as fake:
            for index in range(args.apps):
                template = index % len(TEMPLATES)
                text = TEMPLATES[template].replace("name: %s" % NAMES[template], "name: bench-%03d" % index, 1)
                fake.seed(text)
            backup = os.path.join(work, "backup")
            base = {"dify_apps_url": fake.url, "dify_apps_email": EMAIL, "dify_apps_password": PASSWORD}

            measured(fake, "export %d apps (first)" % args.apps, "dify_apps_export",
                     dict(base, dify_apps_dir=backup), rows)
            first = digest(backup)
            second_run = measured(fake, "export %d apps (again)" % args.apps, "dify_apps_export",
                                  dict(base, dify_apps_dir=backup), rows)
            if len(first) != args.apps:
                failures.append("expected %d files, found %d" % (args.apps, len(first)))
            if digest(backup) != first:
                failures.append("the second export changed files")
            if second_run.stats.get("changed", 0) != 0:
                failures.append("the second export reported changed")

            subset = os.path.join(work, "subset")
            os.mkdir(subset)
            for name in sorted(first)[: args.import_apps]:
                shutil.copy(os.path.join(backup, name), subset)
            imported = measured(fake, "import %d unchanged apps" % args.import_apps, "dify_apps_import",
                                dict(base, dify_apps_dir=subset), rows)
            if fake.write_requests():
                failures.append("the import of unchanged apps sent %d write request(s): %s"
                                % (len(fake.write_requests()), fake.write_requests()[:5]))
            if imported.stats.get("changed", 0) != 0:
                failures.append("the import of unchanged apps reported changed")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("%-28s %9s %9s  %-34s %7s %8s" % ("run", "seconds", "requests", "by method", "writes", "changed"))
    for label, seconds, total, by_method, writes, changed in rows:
        methods = ", ".join("%s %d" % item for item in by_method.items())
        print("%-28s %9.1f %9d  %-34s %7d %8d" % (label, seconds, total, methods, writes, changed))
    print("(writes: requests other than GET, login and refresh-token; changed: tasks reporting changed)")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("OK: the second export is byte-identical with changed=false; the unchanged import sent no write request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
