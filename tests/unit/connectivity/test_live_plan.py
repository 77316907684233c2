"""The live prober's pure part (tests/connectivity/live_plan.py): what is dialled, what is
skipped and why, and how answers are judged. No cluster."""

from connectivity import live_plan as lp

LABELS = {
    "dify-api": {"app.kubernetes.io/name": "dify-api", "app.kubernetes.io/part-of": "dify-platform"},
    "redis": {"app.kubernetes.io/name": "redis", "app.kubernetes.io/part-of": "dify-platform"},
    "dify-migrate": {"app.kubernetes.io/name": "dify-migrate", "app.kubernetes.io/part-of": "dify-platform"},
    "dify-sandbox": {"app.kubernetes.io/name": "dify-sandbox", "app.kubernetes.io/part-of": "dify-platform"},
    "postgres": {"app.kubernetes.io/name": "postgres", "cnpg.io/cluster": "pg"},
}
CONTRACT = {name: ("ai-sandbox" if name == "dify-sandbox" else "ai", labels) for name, labels in LABELS.items()}


def pod(name, workload, namespace="live", running=True, owner="ReplicaSet", extra=None):
    return lp.LivePod(name, namespace, dict(LABELS[workload], **(extra or {})), "10.0.0.%d" % (len(name) % 200), running, owner)


PODS = [
    pod("dify-api-1", "dify-api", extra={"pod-template-hash": "abc", "app.kubernetes.io/version": "9"}),
    pod("redis-0", "redis", owner="StatefulSet"),
    pod("dify-migrate-x", "dify-migrate", running=False, owner="Job"),
    pod("dify-sandbox-1", "dify-sandbox", namespace="live-sandbox"),
]
SERVICES = [
    lp.LiveService("redis", "live", {"app.kubernetes.io/name": "redis"}, "10.96.0.10", ((6379, "redis", "TCP"),)),
    lp.LiveService("dify-api", "live", {"app.kubernetes.io/name": "dify-api"}, "10.96.0.11", ((80, 5001, "TCP"),)),
    lp.LiveService("dify-sandbox", "live-sandbox", {"app.kubernetes.io/name": "dify-sandbox"}, "10.96.0.12", ((8194, 8194, "TCP"),)),
]
PORTS = {"redis": {"redis": 6379}, "dify-api": {"http": 5001}}
DNS = ("10.96.0.53", 53)


def live():
    return lp.match_workloads(CONTRACT, PODS, "ai", "live")


def planned(flows, per_source=4):
    found = live()
    sources = lp.sources_for(found, CONTRACT, "ai", "live")
    return lp.plan(flows, found, sources, SERVICES, DNS, PORTS, per_source)


def test_the_inventory_chooses_its_combination():
    kind = {"dify_platform_components": ["foundation", "redis", "dify"], "keycloak_mode": "external",
            "dify_storage_type": "pvc", "dify_platform_sandbox_enabled": True}
    assert lp.combination_for(kind) == "keycloak=external storage=pvc langfuse=off sandbox=on"
    assert lp.combination_for(dict(kind, dify_platform_components=["langfuse"], langfuse_clickhouse_mode="external",
                                   dify_platform_sandbox_enabled=False, keycloak_mode="operator", dify_storage_type="s3")) \
        == "keycloak=operator storage=s3 langfuse=external sandbox=off"
    assert "langfuse=in-cluster" in lp.combination_for(dict(kind, dify_platform_components=["langfuse"]))


def test_the_contract_namespaces_map_to_the_live_ones():
    assert lp.live_namespace("ai", "ai", "dify-platform") == "dify-platform"
    assert lp.live_namespace("ai-sandbox", "ai", "dify-platform") == "dify-platform-sandbox"
    assert lp.live_namespace("kube-system", "ai", "dify-platform") == "kube-system"


def test_live_pods_match_by_namespace_and_every_stable_label():
    found = live()
    assert sorted(found) == ["dify-api", "dify-migrate", "dify-sandbox", "redis"]
    # A pod with the right labels in another namespace is not the workload.
    stray = lp.LivePod("redis-x", "elsewhere", dict(LABELS["redis"]), "10.0.0.99", True)
    assert "redis-x" not in [p.name for p in lp.match_workloads(CONTRACT, [stray], "ai", "live").get("redis", [])]
    # A missing label is no match.
    partial = lp.LivePod("api-y", "live", {"app.kubernetes.io/name": "dify-api"}, "10.0.0.98", True)
    assert lp.match_workloads(CONTRACT, [partial], "ai", "live") == {}


def test_the_collector_pods_match_with_the_part_of_label_the_operator_sets():
    """The OpenTelemetry operator labels the collector's pods part-of=opentelemetry over the CR's value, and
    instance=<namespace>.<name> (the contract's namespace is ``ai``)."""
    contract = {"otel-collector": ("ai", {"app.kubernetes.io/name": "otel-collector", "app.kubernetes.io/part-of": "dify-platform",
                                          "app.kubernetes.io/instance": "ai.otel",
                                          "app.kubernetes.io/managed-by": "opentelemetry-operator"})}
    live_pod = lp.LivePod("otel-collector-1", "live", {"app.kubernetes.io/name": "otel-collector",
                                                       "app.kubernetes.io/part-of": "opentelemetry",
                                                       "app.kubernetes.io/instance": "live.otel",
                                                       "app.kubernetes.io/managed-by": "opentelemetry-operator"},
                          "10.0.0.9", True, "ReplicaSet")
    assert [p.name for p in lp.match_workloads(contract, [live_pod], "ai", "live")["otel-collector"]] == ["otel-collector-1"]


def test_a_finished_job_gets_a_twin_with_its_labels_and_a_deployment_its_own_pod():
    sources = lp.sources_for(live(), CONTRACT, "ai", "live")
    assert sources["dify-api"] == lp.Source("dify-api", "live", "dify-api-1")
    assert sources["dify-migrate"].pod == ""
    assert dict(sources["dify-migrate"].labels) == LABELS["dify-migrate"]
    assert sources["dify-sandbox"].namespace == "live-sandbox"


def test_a_declared_flow_is_dialled_through_the_service_that_fronts_its_port():
    probes, skips = planned([("dify-api", "redis", 6379), ("dify-api", "dify-sandbox", 8194)], per_source=0)
    assert skips == []
    by_target = {p.target: p for p in probes}
    assert by_target["redis"].address == "10.96.0.10" and by_target["redis"].dial_port == 6379  # named targetPort
    assert by_target["redis"].via == "svc/redis:6379" and by_target["redis"].declared
    assert by_target["dify-sandbox"].via == "svc/dify-sandbox:8194"


def test_a_port_no_service_fronts_is_dialled_at_the_pod_ip():
    probes, _skips = planned([("dify-migrate", "dify-api", 9999)], per_source=0)
    assert [(p.address, p.dial_port, p.via) for p in probes] == [("10.0.0.10", 9999, "pod/dify-api-1")]


def test_a_service_port_to_another_container_port_is_not_used():
    # Service dify-api maps 80 -> 5001; a flow to 5001 goes to port 80 of the Service.
    probes, _skips = planned([("redis", "dify-api", 5001)], per_source=0)
    assert (probes[0].address, probes[0].dial_port) == ("10.96.0.11", 80)


def test_dns_is_dialled_at_the_cluster_dns():
    probes, _skips = planned([("redis", "dns", 53)], per_source=0)
    assert [(p.address, p.dial_port, p.declared) for p in probes] == [("10.96.0.53", 53, True)]


def test_flows_that_cannot_run_here_are_skipped_with_their_reason():
    probes, skips = planned([("router", "dify-api", 5001), ("dify-api", "postgres", 5432), ("dify-api", "litellm", 4000),
                             ("dify-api", "198.51.100.30", 443), ("litellm", "redis", 6379)], per_source=0)
    assert probes == []
    reasons = {(s.source, s.target): s.reason for s in skips}
    assert "router" in reasons[("router", "dify-api")]
    assert "postgres has no pod" in reasons[("dify-api", "postgres")]  # labelled, but no live pod matches
    assert "litellm has no pod" in reasons[("dify-api", "litellm")]
    assert "outside the cluster" in reasons[("dify-api", "198.51.100.30")]
    assert "source litellm has no pod" in reasons[("litellm", "redis")]


def test_the_undeclared_sample_never_holds_a_declared_flow_nor_the_source_itself():
    flows = [("dify-api", "redis", 6379)]
    probes, _skips = planned(flows, per_source=10)
    undeclared = [(p.source, p.target, p.port) for p in probes if not p.declared]
    assert undeclared, "a sample is drawn"
    assert ("dify-api", "redis", 6379) not in undeclared
    assert all(s != t for s, t, _port in undeclared)
    assert ("dify-migrate", "redis", 6379) in undeclared  # the twin is a source too
    # Deterministic, and capped per source.
    assert probes == planned(flows, per_source=10)[0]
    capped = [p for p in planned(flows, per_source=1)[0] if not p.declared]
    assert max(sum(1 for p in capped if p.source == s) for s in {p.source for p in capped}) == 1


def test_each_destination_port_is_controlled_from_its_own_pod():
    probes, _skips = planned([("dify-api", "redis", 6379), ("redis", "dns", 53)], per_source=0)
    assert lp.controls_for(probes, live()) == {("redis", 6379): ("live", "redis-0", PODS[1].ip)}


def test_socat_answers_are_classified():
    assert lp.classify("open") == "open"
    assert lp.classify("2026/12/07 10:00:00 socat[7] E connect(5, AF=2 10.96.0.10:6379, 16): Connection refused") == "refused"
    assert lp.classify("socat[9] E connect(5, AF=2 10.0.0.1:80, 16): Connection timed out") == "timeout"
    assert lp.classify("socat[9] E something else") == "error"
    assert lp.classify("") == "error"


def test_the_judgement():
    declared = lp.Probe("a", "b", 1, True, "ip", 1, "svc/b:1")
    undeclared = lp.Probe("a", "b", 1, False, "ip", 1, "svc/b:1")
    assert lp.judge(declared, "open", "open")[0] == "PASS"
    verdict, note = lp.judge(declared, "timeout", "open")
    assert verdict == "FAIL" and "NetworkPolicy drops it" in note
    assert "does not listen" in lp.judge(declared, "refused", "refused")[1]
    assert lp.judge(declared, "timeout", None)[0] == "FAIL"
    assert lp.judge(undeclared, "open", "open")[0] == "FAIL"
    assert lp.judge(undeclared, "timeout", "open")[0] == "PASS"
    assert lp.judge(undeclared, "refused", "refused")[0] == "INCONCLUSIVE"


def test_the_report_names_every_flow_and_counts():
    ok = lp.Probe("dify-api", "redis", 6379, True, "10.96.0.10", 6379, "svc/redis:6379")
    bad = lp.Probe("dify-web", "redis", 6379, False, "10.96.0.10", 6379, "svc/redis:6379")
    text = lp.report([(ok, "open", "PASS", "connected"), (bad, "open", "FAIL", "undeclared flow connected")],
                     [lp.Skip("router", "dify-api", 5001, "source is the router")], 12.3)
    lines = text.splitlines()
    assert lines[0].startswith("PASS") and "dify-api -> redis:6379 via svc/redis:6379" in lines[0]
    assert lines[1].startswith("FAIL") and "undeclared" in lines[1]
    assert lines[2].startswith("SKIP") and "router" in lines[2]
    assert lines[-1] == ("live connectivity: 2 probes (1 declared, 1 undeclared), 1 skipped; "
                         "PASS 1, FAIL 1, INCONCLUSIVE 0; 12.3 s")


def test_the_sample_aims_only_at_ports_that_are_served():
    # prometheus -> redis:9121 is skipped (no Prometheus; the exporter may be off): 9121 is no candidate.
    probes, skips = planned([("prometheus", "redis", 9121), ("dify-api", "redis", 6379)], per_source=10)
    assert len(skips) == 1
    assert all(p.port != 9121 for p in probes)


def test_every_source_dials_the_api_server_and_only_a_declared_one_may_reach_it():
    found = live()
    sources = lp.sources_for(found, CONTRACT, "ai", "live")
    flows = [("redis", "192.0.2.60", 443), ("dify-api", "redis", 6379), ("postgres", "192.0.2.60", 6443)]
    probes, skips = lp.plan(flows, found, sources, SERVICES, DNS, PORTS, 0, ("10.96.0.1", 443))
    api = {p.source: p for p in probes if p.target == lp.API}
    assert sorted(api) == sorted(sources)
    assert api["redis"].declared and not api["dify-api"].declared and not api["dify-migrate"].declared
    assert (api["dify-api"].address, api["dify-api"].dial_port, api["dify-api"].via) == ("10.96.0.1", 443, "svc/kubernetes:443")
    # postgres has no pod here: its flow to the API server stays skipped, with its reason.
    assert [s.target for s in skips] == ["192.0.2.60"]
    # The API server's listener is controlled from a pod without NetworkPolicy (no namespace given here).
    assert lp.controls_for(probes, found)[(lp.API, 443)] == ("", "", "10.96.0.1")
    # Without the API server's address, the flow is skipped as before.
    assert any(s.target == "192.0.2.60" and s.source == "redis" for s in lp.plan(flows, found, sources, SERVICES, DNS, PORTS, 0)[1])
