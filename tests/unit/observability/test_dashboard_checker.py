"""The dashboards are valid Grafana JSON, and the checker that matches their queries against the metric
catalogue (tests/helpers/metric_catalogue.py) finds what it should: the names, and nothing else.

The catalogue itself is read from the components' sources in tests/integration/observability.
"""

import json
from pathlib import Path

import pytest

from helpers.metric_catalogue import dashboard_queries, metric_names, otel_to_prometheus, unknown_metrics

DASHBOARDS = sorted((Path(__file__).resolve().parents[3] / "roles" / "observability" / "files" / "dashboards").glob("*.json"))


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        ('sum by (job) (up{namespace="$namespace"})', {"up"}),
        (
            "histogram_quantile(0.95, sum by (le, requested_model) (rate(litellm_request_total_latency_metric_bucket[$__rate_interval])))",
            {"litellm_request_total_latency_metric_bucket"},
        ),
        ('a_total / on (pod) group_left (node) b{x=~"by|rate"} > bool 0.8', {"a_total", "b"}),
        ('1 - max by (team_alias) (x{n="ns"}) / max without (pod) (y offset 5m)', {"x", "y"}),
        ("sum(rate(otelcol_exporter_sent_spans_total[5m])) * 3600", {"otelcol_exporter_sent_spans_total"}),
        ('label_replace(cnpg_collector_up, "cluster", "$1", "pod", "(.+)-[0-9]+")', {"cnpg_collector_up"}),
    ],
)
def test_metric_names_of_promql(expr, names):
    assert metric_names(expr) == names


def test_a_selector_by_name_is_refused():
    with pytest.raises(ValueError):
        metric_names('{__name__="up"}')


def test_unknown_metric_is_reported():
    known = {"litellm": {"litellm_spend_metric_total"}}
    assert unknown_metrics(["sum(rate(litellm_spend_metric_total[5m]))"], known) == []
    # The counter without its _total suffix is a real, easy mistake.
    assert unknown_metrics(["sum(rate(litellm_spend_metric[5m]))"], known) == [("sum(rate(litellm_spend_metric[5m]))", "litellm_spend_metric")]


@pytest.mark.parametrize(
    ("name", "unit", "kind", "series"),
    [
        ("http.server.response.count", "{response}", "counter", {"http_server_response_count_total"}),
        (
            "http.server.duration",
            "ms",
            "histogram",
            {"http_server_duration_milliseconds_bucket", "http_server_duration_milliseconds_sum", "http_server_duration_milliseconds_count"},
        ),
        ("process_uptime", "s", "counter", {"otelcol_process_uptime_seconds_total"}),
        ("process_memory_rss", "By", "gauge", {"otelcol_process_memory_rss_bytes"}),
    ],
)
def test_opentelemetry_names_on_prometheus(name, unit, kind, series):
    prefix = "otelcol_" if name.startswith("process") else ""
    assert otel_to_prometheus(name, unit, kind, prefix=prefix) == series


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_dashboard_is_valid_grafana_json(path):
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"])
        for target in panel["targets"]:
            assert metric_names(target["expr"]), f"{panel['title']}: no metric in {target['expr']!r}"
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["namespace"]["type"] == "query"


def test_dashboard_queries_cover_panels_and_variables():
    dashboard = {
        "panels": [
            {"targets": [{"expr": "a"}]},
            {"type": "row", "panels": [{"targets": [{"expr": "b"}, {"expr": ""}]}]},
        ],
        "templating": {"list": [{"type": "query", "query": {"query": "label_values(c, namespace)"}}, {"type": "datasource", "query": "prometheus"}]},
    }
    assert dashboard_queries(dashboard) == ["a", "b", "c"]
