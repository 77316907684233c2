"""cyclonus on a small hand-made case: allow, deny, and the empty-value selector it gets wrong."""

import pytest

from connectivity import engine

NS = (("kubernetes.io/metadata.name", "ai"),)
A = engine.Endpoint("10.128.0.1", "ai", (("app.kubernetes.io/name", "a"),), NS)
B = engine.Endpoint("10.128.0.2", "ai", (("app.kubernetes.io/name", "b"),), NS)
ROUTER_NS = (("kubernetes.io/metadata.name", "openshift-ingress"), ("policy-group.network.openshift.io/ingress", ""))
ROUTER = engine.Endpoint("10.129.0.1", "openshift-ingress", (), ROUTER_NS)
OTHER = engine.Endpoint("10.130.0.1", "elsewhere", (), (("kubernetes.io/metadata.name", "elsewhere"),))


def policy(name, selector, types, **rules):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "ai"},
            "spec": dict({"podSelector": selector, "policyTypes": types}, **rules)}


POLICIES = [
    policy("default-deny", {}, ["Ingress", "Egress"]),
    policy("a-egress", {"matchLabels": {"app.kubernetes.io/name": "a"}}, ["Egress"],
           egress=[{"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "b"}}}], "ports": [{"protocol": "TCP", "port": 80}]},
                   {"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}]),
    policy("b-ingress", {"matchLabels": {"app.kubernetes.io/name": "b"}}, ["Ingress"],
           ingress=[{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "a"}}}], "ports": [{"protocol": "TCP", "port": 80}]},
                    {"from": [{"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}}],
                     "ports": [{"protocol": "TCP", "port": 8080}]}]),
]


@pytest.fixture(scope="module")
def cyclonus():
    return engine.binary()


def test_cyclonus_allows_and_denies_as_kubernetes_does(cyclonus):
    traffic = [(A, B, 80), (A, B, 81), (B, A, 80), (A, engine.Endpoint("198.51.100.7"), 443),
               (A, engine.Endpoint("192.0.2.1"), 443), (ROUTER, B, 8080), (OTHER, B, 8080)]
    allowed = [v.allowed for v in engine.query(cyclonus, POLICIES, traffic)]
    assert allowed == [True, False, False, True, False, True, False]


def test_without_the_workaround_cyclonus_lets_any_namespace_match_an_empty_label_value(cyclonus, monkeypatch):
    """Why engine.py fills absent keys: cyclonus v0.5.6 matches {key: ""} against a missing key."""
    monkeypatch.setattr(engine, "_empty_value_keys", lambda policies, keys: keys)
    assert engine.query(cyclonus, POLICIES, [(OTHER, B, 8080)])[0].allowed
