"""The metric names each monitored component really exports, read from its sources.

`catalogue()` returns {component: set of Prometheus series names}, built at
test time from what each project publishes:

- ``cnpg``: the cloudnative-pg Go module (the operator version of the release
  manifest), its default monitoring queries (config/manager/default-monitoring.yaml,
  named ``cnpg_<query>_<column>`` by pkg/management/postgres/metrics/mappings.go)
  and the instance manager's own collector (pkg/management/postgres/webserver/
  metricserver/pg_collector.go);
- ``oauth2-proxy``: the oauth2-proxy Go module (pkg/middleware/metrics.go);
- ``otel-collector``: the collector's internal telemetry, from the metadata.yaml of
  go.opentelemetry.io/collector receiverhelper, processorhelper, exporterhelper and
  service, named the way the collector's Prometheus endpoint names them;
- ``litellm``: the installed LiteLLM package of the test harness
  ($AIRGAP_CACHE/litellm/venv-*/.../litellm/integrations/prometheus.py, see
  tests/harness/litellm), exposition names of prometheus_client;
- ``redis``, ``keycloak``, ``kube-state-metrics``, ``dify``: checked-in lists, each
  citing its source, because no machine-readable source is reachable from here
  (the Go module proxy refuses github.com/oliver006/redis_exporter and
  k8s.io/kube-state-metrics; Keycloak documents its metrics in prose only; Dify's
  API server is not a published package).

Go modules are fetched with `go mod download` into $AIRGAP_CACHE/go-mod.
`metric_names(expr)` lists the metric names a PromQL expression selects, and
`unknown_metrics(exprs, catalogue)` the ones no component exports.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import yaml

from helpers.paths import CACHE, REPO


class CatalogueSourceMissing(RuntimeError):
    """A component's published metric source could not be read."""


# --- checked-in lists, each with its source ---------------------------------

# redis_exporter v1.90.0 (release manifest `redis_exporter`), namespace "redis"
# (the --namespace default): exporter/exporter.go of github.com/oliver006/redis_exporter
# @0074f409c8c694e0865035db386a16db9392aee7 (metricMapGauges, metricMapCounters,
# metricDescriptions, the scrape counters), exporter/info.go for the keyspace
# gauges. Only the names are listed, not every INFO field.
REDIS_EXPORTER = {
    "redis_up",
    "redis_uptime_in_seconds",
    "redis_start_time_seconds",
    "redis_instance_info",
    "redis_connected_clients",
    "redis_blocked_clients",
    "redis_tracking_clients",
    "redis_memory_used_bytes",
    "redis_memory_used_rss_bytes",
    "redis_memory_used_peak_bytes",
    "redis_memory_used_dataset_bytes",
    "redis_memory_max_bytes",
    "redis_mem_fragmentation_ratio",
    "redis_config_maxmemory",
    "redis_config_maxclients",
    "redis_connections_received_total",
    "redis_commands_processed_total",
    "redis_rejected_connections_total",
    "redis_net_input_bytes_total",
    "redis_net_output_bytes_total",
    "redis_expired_keys_total",
    "redis_evicted_keys_total",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_cpu_sys_seconds_total",
    "redis_cpu_user_seconds_total",
    "redis_commands_total",
    "redis_commands_duration_seconds_total",
    "redis_db_keys",
    "redis_db_keys_expiring",
    "redis_db_avg_ttl_seconds",
    "redis_rdb_last_bgsave_status",
    "redis_rdb_changes_since_last_save",
    "redis_aof_enabled",
    "redis_aof_last_write_status",
    "redis_connected_slaves",
    "redis_master_link_up",
    "redis_slowlog_length",
    "redis_exporter_scrapes_total",
    "redis_exporter_last_scrape_error",
    "redis_exporter_last_scrape_duration_seconds",
    "redis_exporter_build_info",
}

# Keycloak 26 with metrics-enabled=true, on the management port (9000) at /metrics:
# https://www.keycloak.org/observability/metrics-for-troubleshooting (the Quarkus
# HTTP server, JVM, Agroal pool and Infinispan cache metrics it lists) and
# https://www.keycloak.org/observability/event-metrics (keycloak_user_events_total,
# with event-metrics-user-enabled). Micrometer names, Prometheus exposition.
KEYCLOAK = {
    "http_server_requests_seconds_count",
    "http_server_requests_seconds_sum",
    "http_server_requests_seconds_bucket",
    "http_server_requests_seconds_max",
    "http_server_active_requests",
    "jvm_memory_used_bytes",
    "jvm_memory_committed_bytes",
    "jvm_memory_max_bytes",
    "jvm_gc_pause_seconds_count",
    "jvm_gc_pause_seconds_sum",
    "jvm_threads_live_threads",
    "process_cpu_usage",
    "system_cpu_usage",
    "agroal_active_count",
    "agroal_available_count",
    "agroal_awaiting_count",
    "agroal_max_used_count",
    "vendor_statistics_hits",
    "vendor_statistics_misses",
    "keycloak_user_events_total",
}

# kube-state-metrics (cluster monitoring; OpenShift ships it in openshift-monitoring):
# docs/metrics/workload/pod-metrics.md and docs/metrics/workload/deployment-metrics.md
# of github.com/kubernetes/kube-state-metrics.
KUBE_STATE_METRICS = {
    "kube_pod_status_phase",
    "kube_pod_status_ready",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_waiting_reason",
    "kube_pod_init_container_status_waiting_reason",
    "kube_pod_container_status_ready",
    "kube_pod_container_status_terminated_reason",
    "kube_pod_container_resource_requests",
    "kube_pod_container_resource_limits",
    "kube_deployment_status_replicas",
    "kube_deployment_status_replicas_available",
    "kube_deployment_status_replicas_unavailable",
    "kube_deployment_spec_replicas",
    "kube_statefulset_status_replicas_ready",
    "kube_statefulset_replicas",
}

# Dify's API server (langgenius/dify), sent over OTLP when ENABLE_OTEL is true and
# exposed by the collector's Prometheus exporter. OpenTelemetry names and units:
# api/extensions/otel/instrumentation.py (the counter http.server.response.count,
# unit {response}); api/extensions/otel/metrics/__init__.py (the histogram
# event_stream.delivery_latency_seconds, unit s); opentelemetry-instrumentation-flask
# (http.server.duration, unit ms; http.server.active_requests, unit {request}).
DIFY_OTEL = [
    ("http.server.response.count", "{response}", "counter"),
    ("http.server.duration", "ms", "histogram"),
    ("http.server.active_requests", "{request}", "updowncounter"),
    ("event_stream.delivery_latency_seconds", "s", "histogram"),
]

# Series Prometheus itself adds to every scrape target.
PROMETHEUS_SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


# --- naming ------------------------------------------------------------------

# The OpenTelemetry-to-Prometheus unit suffixes (the collector's prometheus exporter
# and its internal telemetry follow the OpenTelemetry compatibility specification).
_UNIT_SUFFIX = {"s": "seconds", "ms": "milliseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "1": "ratio"}


def otel_to_prometheus(name: str, unit: str, kind: str, prefix: str = "") -> set[str]:
    """Series names of an OpenTelemetry metric on a Prometheus endpoint."""
    base = re.sub(r"[^a-zA-Z0-9_:]", "_", prefix + name)
    unit = re.sub(r"\{.*?\}", "", unit or "")
    suffix = _UNIT_SUFFIX.get(unit, "")
    if suffix == "ratio" and kind != "gauge":
        suffix = ""
    if suffix and not base.endswith("_" + suffix):
        base = f"{base}_{suffix}"
    if kind == "counter":
        return {base if base.endswith("_total") else base + "_total"}
    if kind == "histogram":
        return {base + "_bucket", base + "_sum", base + "_count"}
    return {base}


def _client_series(name: str, kind: str) -> set[str]:
    """Series names of a Prometheus client metric (Go or Python) of the given type."""
    if kind == "counter":
        base = name[: -len("_total")] if name.endswith("_total") else name
        return {base + "_total"}
    if kind == "histogram":
        return {name + "_bucket", name + "_sum", name + "_count"}
    if kind == "summary":
        return {name, name + "_sum", name + "_count"}
    return {name}


# --- sources -----------------------------------------------------------------


def _manifest_version(image: str) -> str:
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    return str(manifest["images"][image]["version"])


def go_module_dir(module: str, version: str) -> Path:
    """Download a published Go module into $AIRGAP_CACHE/go-mod and return its directory."""
    work = CACHE / "go-mod-fetch"
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "go.mod").exists():
        (work / "go.mod").write_text("module metriccatalogue\n\ngo 1.26\n")
    env = dict(os.environ, GOMODCACHE=str(CACHE / "go-mod"), GOFLAGS="-mod=mod", GOWORK="off")
    env["PATH"] = env.get("PATH", "") + os.pathsep + "/usr/local/go/bin"
    proc = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        info = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise CatalogueSourceMissing(f"{module}@{version}: {proc.stderr.strip()[:300]}") from exc
    if info.get("Error") or not info.get("Dir"):
        raise CatalogueSourceMissing(f"{module}@{version}: {info.get('Error') or proc.stderr.strip()[:300]}")
    return Path(info["Dir"])


_OPTS = re.compile(r"(Counter|Gauge|Histogram|Summary)(?:Vec)?Opts\{(.*?)\n\s*\}", re.S)


def _go_opts_metrics(source: str, idents: dict[str, str]) -> set[str]:
    """Metrics declared with client_golang *Opts literals (Namespace_Subsystem_Name)."""
    names = set()
    for kind, body in _OPTS.findall(source):
        fields = {}
        for key in ("Namespace", "Subsystem", "Name"):
            match = re.search(rf"\b{key}:\s*(\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_]*)", body)
            if match:
                value = match.group(1)
                fields[key] = value.strip('"') if value.startswith('"') else idents[value]
        if "Name" in fields:
            full = "_".join(part for part in (fields.get("Namespace"), fields.get("Subsystem"), fields["Name"]) if part)
            names |= _client_series(full, kind.lower())
    return names


def cnpg_metrics() -> set[str]:
    root = go_module_dir("github.com/cloudnative-pg/cloudnative-pg", "v" + _manifest_version("cnpg_operator"))
    configmap = yaml.safe_load((root / "config/manager/default-monitoring.yaml").read_text())
    queries = yaml.safe_load(configmap["data"]["queries"])
    names = set()
    for key, query in queries.items():
        namespace = f"cnpg_{query.get('name') or key}"
        for column_map in query.get("metrics", []):
            for column, mapping in column_map.items():
                usage = mapping.get("usage", "").upper()
                full = f"{namespace}_{mapping.get('name') or column}"
                if usage in ("GAUGE", "COUNTER", "MAPPEDMETRIC"):
                    names.add(full)
                elif usage == "DURATION":
                    names.add(full + "_milliseconds")
                elif usage == "HISTOGRAM":
                    names |= {full + "_bucket", full + "_sum", full + "_count"}
    collector = (root / "pkg/management/postgres/webserver/metricserver/pg_collector.go").read_text()
    names |= _go_opts_metrics(collector, {"PrometheusNamespace": "cnpg", "subsystem": "collector"})
    queries_collector = (root / "pkg/management/postgres/metrics/collector.go").read_text()
    names |= _go_opts_metrics(queries_collector, {"name": "cnpg"})
    if "cnpg_collector_up" not in names or "cnpg_backends_total" not in names:
        raise CatalogueSourceMissing(f"cloudnative-pg sources changed shape under {root}")
    return names


def oauth2_proxy_metrics() -> set[str]:
    root = go_module_dir("github.com/oauth2-proxy/oauth2-proxy/v7", _manifest_version("oauth2_proxy"))
    names = _go_opts_metrics((root / "pkg/middleware/metrics.go").read_text(), {})
    if not names:
        raise CatalogueSourceMissing(f"no metrics found in {root}/pkg/middleware/metrics.go")
    return names


def _telemetry_metrics(metadata: Path) -> set[str]:
    data = yaml.safe_load(metadata.read_text())
    names = set()
    for name, spec in (data.get("telemetry") or {}).get("metrics", {}).items():
        if "sum" in spec:
            kind = "counter" if spec["sum"].get("monotonic") else "updowncounter"
        elif "histogram" in spec:
            kind = "histogram"
        else:
            kind = "gauge"
        names |= otel_to_prometheus(name, spec.get("unit", ""), kind, prefix="otelcol_")
    return names


def otel_collector_metrics() -> set[str]:
    version = "v" + _manifest_version("otel_collector")
    names = set()
    for module in ("receiver/receiverhelper", "processor/processorhelper", "exporter/exporterhelper", "service"):
        names |= _telemetry_metrics(go_module_dir(f"go.opentelemetry.io/collector/{module}", version) / "metadata.yaml")
    if "otelcol_receiver_accepted_spans_total" not in names:
        raise CatalogueSourceMissing("collector telemetry metadata changed shape")
    return names


def litellm_prometheus_source() -> Path:
    candidates = sorted((CACHE / "litellm").glob("venv-*/lib/python*/site-packages/litellm/integrations/prometheus.py"))
    if not candidates:
        raise CatalogueSourceMissing(f"LiteLLM is not installed under {CACHE / 'litellm'}: run `make litellm-prepare` (tests/harness/litellm)")
    return candidates[-1]


def litellm_metrics(source: Path | None = None) -> set[str]:
    """Every metric PrometheusLogger creates through its counter/gauge/histogram factories."""
    tree = ast.parse((source or litellm_prometheus_source()).read_text())
    kinds = {
        "_counter_factory": "counter",
        "_gauge_factory": "gauge",
        "_histogram_factory": "histogram",
        "Counter": "counter",
        "Gauge": "gauge",
        "Histogram": "histogram",
    }
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called not in kinds:
            continue
        name_node = next((kw.value for kw in node.keywords if kw.arg == "name"), node.args[0] if node.args else None)
        if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str) and name_node.value.startswith("litellm_"):
            names |= _client_series(name_node.value, kinds[called])
    if "litellm_spend_metric_total" not in names:
        raise CatalogueSourceMissing("LiteLLM's prometheus.py changed shape")
    return names


def dify_metrics() -> set[str]:
    names = set()
    for name, unit, kind in DIFY_OTEL:
        names |= otel_to_prometheus(name, unit, kind)
    return names | {"target_info"}


@lru_cache(maxsize=1)
def _cached() -> tuple[tuple[str, frozenset[str]], ...]:
    built = {
        "cnpg": cnpg_metrics(),
        "redis": set(REDIS_EXPORTER),
        "oauth2-proxy": oauth2_proxy_metrics(),
        "litellm": litellm_metrics(),
        "otel-collector": otel_collector_metrics(),
        "dify": dify_metrics(),
        "keycloak": set(KEYCLOAK),
        "kube-state-metrics": set(KUBE_STATE_METRICS),
        "prometheus": set(PROMETHEUS_SYNTHETIC),
    }
    return tuple((key, frozenset(value)) for key, value in built.items())


def catalogue() -> dict[str, set[str]]:
    """{component: set of metric names it exports}, from the sources above."""
    return {key: set(value) for key, value in _cached()}


# --- PromQL ------------------------------------------------------------------

_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
    "atan2",
    "start",
    "end",
}
_LABEL_LISTS = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana variables allowed)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\$\{[^}]*\}|\$\w+", "1", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set()
    for match in re.finditer(r"\{[^}]*\}", text):
        name = re.search(r'__name__\s*=\s*""', match.group(0))
        if name:
            raise ValueError(f"metric selected by __name__ in {expr!r}: name it instead")
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = _LABEL_LISTS.sub(" ", text)
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in _KEYWORDS or re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def unknown_metrics(exprs, known: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(expression, name) for every metric name no component of `known` exports."""
    everything = set().union(*known.values()) if known else set()
    return [(expr, name) for expr in exprs for name in sorted(metric_names(expr)) if name not in everything]


def dashboard_queries(dashboard: dict) -> list[str]:
    """Every PromQL expression of a Grafana dashboard (panels, nested rows, templating)."""
    exprs = []

    def panels(items):
        for panel in items or []:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    exprs.append(target["expr"])
            panels(panel.get("panels"))

    panels(dashboard.get("panels"))
    for variable in (dashboard.get("templating") or {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            query = query.get("query") if isinstance(query, dict) else query
            match = re.fullmatch(r"\s*label_values\((.*),\s*[\w]+\)\s*", query or "")
            if match:
                exprs.append(match.group(1))
            elif query:
                exprs.append(query)
    return exprs
