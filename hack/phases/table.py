"""Print the cold and warm cost of each phase of `make test` (hack/phases/time.sh's log).

Usage: table.py PHASE...  (the phases in the order to print; default every phase logged).
For each phase: its cold run (the first successful run in this cache), its latest warm run, and the
status of its latest run. Background phases overlap the others, so the column sums are CPU-ish
upper bounds of the wall time, not the wall time itself.
"""

import os
import sys
from pathlib import Path


def log_path():
    cache = os.environ.get("AIRGAP_CACHE") or str(Path.home() / ".cache" / "airgap-dify-platform")
    return Path(cache) / "phases" / "times.tsv"


def read(path):
    runs = []
    if path.exists():
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) == 5:
                phase, kind, status, seconds, finished = fields
                runs.append({"phase": phase, "kind": kind, "status": int(status), "seconds": float(seconds),
                             "finished": finished})
    return runs


def summary(runs, phases):
    rows = []
    for phase in phases:
        mine = [r for r in runs if r["phase"] == phase]
        cold = next((r for r in mine if r["kind"] in ("cold", "first") and r["status"] == 0), None)
        warm = next((r for r in reversed(mine) if r["kind"] == "warm" and r["status"] == 0), None)
        last = mine[-1] if mine else None
        rows.append((phase, cold, warm, last))
    return rows


def fmt(run):
    if run is None:
        return "-"
    minutes, seconds = divmod(run["seconds"], 60)
    text = "%dm%04.1fs" % (minutes, seconds) if minutes else "%.1fs" % seconds
    return text + ("*" if run.get("kind") == "first" else "")


def main(phases):
    runs = read(log_path())
    if not phases:
        phases = list(dict.fromkeys(r["phase"] for r in runs))
    phases = list(dict.fromkeys(phases))
    rows = summary(runs, phases)
    print("\n%-18s %12s %12s  %-8s %s" % ("phase", "cold", "warm", "last", "cold run finished"))
    for phase, cold, warm, last in rows:
        state = "-" if last is None else ("ok" if last["status"] == 0 else "FAILED")
        print("%-18s %12s %12s  %-8s %s" % (phase, fmt(cold), fmt(warm), state, cold["finished"] if cold else "-"))
    total_cold = sum(row[1]["seconds"] for row in rows if row[1])
    total_warm = sum(row[2]["seconds"] for row in rows if row[2])
    print("%-18s %12s %12s" % ("sum", fmt({"seconds": total_cold}), fmt({"seconds": total_warm})))
    print("(log: %s; cold = the first successful run in a cache that began empty;" % log_path())
    print(" * = the first run here, on a cache that was not empty: not a cold figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
