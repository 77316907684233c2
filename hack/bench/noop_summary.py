"""Read a json-callback log of a site.yml run that must have changed nothing.

Prints "<number of apply_wave tasks> <their seconds> <templates rendered>
<templates recalled>" (no_log tasks, whose results are censored, not
counted), or exits 1 naming what changed or failed.
"""

import json
import sys
from datetime import datetime


def seconds(duration):
    start, end = (datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
    return (end - start).total_seconds()


def main(path):
    with open(path) as log:
        text = log.read()
    run = json.loads(text[text.index("{"):])
    stats = run["stats"]
    bad = dict((host, s) for host, s in stats.items() if s.get("changed") or s.get("failures") or s.get("unreachable"))
    if bad:
        print("not a no-op: %s" % bad, file=sys.stderr)
        return 1
    applies = [task for play in run["plays"] for task in play["tasks"]
               if any(h.get("action") == "airgap.dify_platform.apply_wave" for h in task["hosts"].values())]
    results = [h for task in applies for h in task["hosts"].values()]
    print(len(applies), "%.2f" % sum(seconds(task["task"]["duration"]) for task in applies),
          sum(h.get("rendered", 0) for h in results), sum(h.get("recalled", 0) for h in results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
