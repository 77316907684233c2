"""Check the dashboards and alert rules as the cluster holds them against the metric catalogue.

Usage: python tests/helpers/check_live_metrics.py OBJECTS.json
OBJECTS.json holds a list of GrafanaDashboard and PrometheusRule objects read
from the cluster. Every PromQL expression (each dashboard panel and variable,
each rule) must name only metrics that a monitored component exports, as
tests/helpers/metric_catalogue.py reads them from each component's published
source. Prints one line per unknown name and exits 1 if there is any; prints
the counts and exits 0 otherwise.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.metric_catalogue import catalogue, dashboard_queries, unknown_metrics


def expressions(objects):
    """(object name, PromQL expression) of every dashboard query and rule."""
    for obj in objects:
        name = "%s/%s" % (obj["kind"], obj["metadata"]["name"])
        if obj["kind"] == "GrafanaDashboard":
            for expr in dashboard_queries(json.loads(obj["spec"]["json"])):
                yield name, expr
        elif obj["kind"] == "PrometheusRule":
            for group in obj["spec"].get("groups", []):
                for rule in group.get("rules", []):
                    yield name, str(rule["expr"])


def main(path):
    with open(path) as handle:
        objects = json.load(handle)
    found = list(expressions(objects))
    known = catalogue()
    unknown = [(name, expr, metric) for name, expr in found for _expr, metric in unknown_metrics([expr], known)]
    for name, expr, metric in unknown:
        print("%s: %s is exported by no monitored component (in %s)" % (name, metric, expr))
    kinds = sorted(set(o["kind"] for o in objects))
    print("%d expressions in %d objects (%s) checked against %d components" % (
        len(found), len(objects), ", ".join(kinds), len(known)))
    return 1 if unknown or not found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
