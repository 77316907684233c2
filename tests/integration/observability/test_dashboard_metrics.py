"""Every panel query of every dashboard names a metric some monitored component really exports.

The metric names are read at test time from each component's published source
(tests/helpers/metric_catalogue.py: Go modules through the module proxy, the LiteLLM package of the
test harness, cited lists where nothing machine-readable exists).
"""

import json
from pathlib import Path

import pytest

from helpers.metric_catalogue import catalogue, dashboard_queries, litellm_metrics, litellm_prometheus_source, unknown_metrics

DASHBOARDS = sorted((Path(__file__).resolve().parents[3] / "roles" / "observability" / "files" / "dashboards").glob("*.json"))


@pytest.fixture(scope="module")
def known():
    return catalogue()


def test_catalogue_reads_every_component(known):
    assert set(known) >= {"cnpg", "redis", "oauth2-proxy", "litellm", "otel-collector", "dify", "keycloak", "kube-state-metrics"}
    for component, names in known.items():
        assert names, component
    # Read from the sources, named the way each exporter exposes them.
    assert {"cnpg_collector_up", "cnpg_backends_total", "cnpg_pg_replication_lag", "cnpg_pg_settings_setting"} <= known["cnpg"]
    assert {"oauth2_proxy_requests_total", "oauth2_proxy_response_duration_seconds_bucket"} <= known["oauth2-proxy"]
    assert "otelcol_receiver_accepted_metric_points_total" in known["otel-collector"]


def test_litellm_names_follow_the_installed_source(known, tmp_path):
    """Counters get _total and histograms _bucket; a metric removed from the source leaves the catalogue."""
    source = litellm_prometheus_source()
    assert "litellm_spend_metric_total" in known["litellm"]
    assert "litellm_request_total_latency_metric_bucket" in known["litellm"]
    edited = tmp_path / "prometheus.py"
    edited.write_text(source.read_text().replace('"litellm_total_tokens_metric"', '"litellm_renamed_tokens_metric"'))
    names = litellm_metrics(edited)
    assert "litellm_total_tokens_metric_total" not in names
    assert "litellm_renamed_tokens_metric_total" in names


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_every_panel_query_names_an_exported_metric(known, path):
    queries = dashboard_queries(json.loads(path.read_text()))
    assert queries
    assert unknown_metrics(queries, known) == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda path: path.name)
def test_a_misnamed_metric_in_the_dashboard_is_caught(known, path):
    """Drop the last character of the first metric of each query: every one must be reported."""
    from helpers.metric_catalogue import metric_names

    queries = dashboard_queries(json.loads(path.read_text()))
    broken = []
    for query in queries:
        name = sorted(metric_names(query))[0]
        broken.append(query.replace(name, name[:-1] + "x"))
    reported = {expr for expr, _name in unknown_metrics(broken, known)}
    assert reported == set(broken)
