"""Print the cold and warm cost of each phase of `make test` (hack/phases/time.sh's log).

Usage: table.py [--load FILE] PHASE...  (the phases in the order to print; default every phase logged).
For each phase: its cold run (the first successful run in this cache), its latest warm run, and the
status of its latest run, each as wall time and CPU time (user + system of the phase's processes;
"-" for lines logged before time.sh recorded it). On a shared host the wall time grows with the
load and the CPU time barely does: on this 2-core machine, an idle run's wall time lies between
CPU/2 (both cores busy throughout) and CPU plus the time spent waiting on the network and disk.
Background phases overlap the others, so the column sums are upper bounds of the wall time.
With --load (hack/phases/cold.sh's samples: "<ISO time> load <1 min> <5 min> <15 min> free <GB> GB"),
the mean and the highest 1-minute load average sampled during each cold run are printed too.
"""

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path


def log_path():
    cache = os.environ.get("AIRGAP_CACHE") or str(Path.home() / ".cache" / "airgap-dify-platform")
    return Path(cache) / "phases" / "times.tsv"


def read(path):
    runs = []
    if path.exists():
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) in (5, 6):
                phase, kind, status, seconds, finished = fields[:5]
                cpu = float(fields[5]) if len(fields) == 6 else None
                runs.append({"phase": phase, "kind": kind, "status": int(status), "seconds": float(seconds),
                             "finished": finished, "cpu": cpu})
    return runs


def read_load(path):
    """[(time, 1-minute load average)] from cold.sh's samples; lines in another shape are skipped."""
    samples = []
    for line in Path(path).read_text().splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1] == "load":
            try:
                samples.append((parse_time(fields[0]), float(fields[2])))
            except ValueError:
                continue
    return samples


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def load_during(samples, run):
    """(mean, max) of the load samples taken while RUN ran, or None when none was."""
    end = parse_time(run["finished"])
    start = end - timedelta(seconds=run["seconds"])
    values = [value for when, value in samples if start <= when <= end]
    if not values:
        return None
    return sum(values) / len(values), max(values)


def summary(runs, phases):
    rows = []
    for phase in phases:
        mine = [r for r in runs if r["phase"] == phase]
        cold = next((r for r in mine if r["kind"] in ("cold", "first") and r["status"] == 0), None)
        warm = next((r for r in reversed(mine) if r["kind"] == "warm" and r["status"] == 0), None)
        last = mine[-1] if mine else None
        rows.append((phase, cold, warm, last))
    return rows


def duration(seconds):
    minutes, seconds = divmod(seconds, 60)
    return "%dm%04.1fs" % (minutes, seconds) if minutes else "%.1fs" % seconds


def fmt(run):
    if run is None:
        return "-"
    return duration(run["seconds"]) + ("*" if run.get("kind") == "first" else "")


def fmt_cpu(run):
    if run is None or run.get("cpu") is None:
        return "-"
    return duration(run["cpu"])


def main(argv):
    samples = None
    if argv[:1] == ["--load"]:
        samples = read_load(argv[1]) if len(argv) > 1 and Path(argv[1]).exists() else []
        argv = argv[2:]
    runs = read(log_path())
    phases = list(dict.fromkeys(argv or [r["phase"] for r in runs]))
    rows = summary(runs, phases)
    row = "%-28s %12s %12s %12s %12s  %-8s %s"
    head = "\n" + row % ("phase", "cold", "cold cpu", "warm", "warm cpu", "last", "cold run finished")
    print(head + ("  load during cold (mean/max)" if samples is not None else ""))
    for phase, cold, warm, last in rows:
        state = "-" if last is None else ("ok" if last["status"] == 0 else "FAILED")
        line = row % (phase, fmt(cold), fmt_cpu(cold), fmt(warm), fmt_cpu(warm), state,
                      cold["finished"] if cold else "-")
        if samples is not None:
            load = load_during(samples, cold) if cold else None
            line += "  %.1f/%.1f" % load if load else "  -"
        print(line)

    def total(index, key):
        values = [row[index][key] for row in rows if row[index] and row[index].get(key) is not None]
        return duration(sum(values)) if values else "-"

    print("%-28s %12s %12s %12s %12s" % ("sum", total(1, "seconds"), total(1, "cpu"), total(2, "seconds"),
                                         total(2, "cpu")))
    print("(log: %s; cold = the first successful run in a cache that began empty;" % log_path())
    print(" * = the first run here, on a cache that was not empty: not a cold figure;")
    print(" cpu = user + system seconds of the phase's processes, which the host's load does not inflate)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
