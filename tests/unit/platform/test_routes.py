"""Every Route of the platform, rendered by Ansible from the roles' own templates (no cluster).

What is checked is what OpenShift's router would do with them (issue 14, defects 3 and 4):
- every Route sets the router's server timeout from its role's variable (OpenShift's 30 s default
  answers 504 to a blocking Dify run or a non-streaming LiteLLM call);
- the dify-api Route publishes the service API (/v1) and nothing else, and the foundation lets the
  router reach it; switched off, neither the Route nor the router's way in exist;
- each Route the router serves leads to pods whose NetworkPolicy admits the router on the target port;
- the Route is written once (roles/dify_platform/templates/platform/route.j2).
"""

import re

import pytest
import yaml

from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import render_role_objects

DIGEST = "@sha256:" + "a" * 64
IMAGES = ("redis", "redis_exporter", "dify_api", "dify_web", "dify_sandbox", "dify_plugin_daemon", "ssrf_proxy",
          "oauth2_proxy", "litellm", "langfuse", "langfuse_worker", "clickhouse", "seaweedfs", "keycloak", "postgres")
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_registry": "harbor.example.test",
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "langfuse", "dify", "oauth2_proxy", "litellm"],
    # The CNPG operand names its tag too (CloudNativePG's webhook requires one; test_cnpg_image_name).
    "dify_platform_images": dict(((name, "harbor.example.test/p/%s%s" % (name, DIGEST)) for name in IMAGES),
                                 postgres="harbor.example.test/p/postgres:17.11" + DIGEST),
    "keycloak_mode": "operator",
}
# role: (templates that hold its Route and the Service and workload behind it, the timeout variable)
ROUTED = {
    "dify": (("config.yml.j2", "workloads.yml.j2"), "dify_api_route_timeout"),
    "oauth2_proxy": (("oauth2-proxy.yml.j2",), "oauth2_proxy_route_timeout"),
    "litellm": (("litellm.yml.j2",), "litellm_route_timeout"),
    "langfuse": (("langfuse.yml.j2",), "langfuse_route_timeout"),
    "keycloak": (("operator.yml.j2",), "keycloak_route_timeout"),
}
TIMEOUT = "haproxy.router.openshift.io/timeout"
HAPROXY_TIME = re.compile(r"^[0-9]+(us|ms|s|m|h|d)$")


def render(role, **overrides):
    return render_role_objects(role, ROUTED[role][0], dict(BASE, **overrides))


def routes(objects):
    return [obj for (kind, _unused), obj in objects.items() if kind == "Route"]


@pytest.fixture(scope="module")
def rendered():
    return dict((role, render(role)) for role in ROUTED)


@pytest.fixture(scope="module")
def foundation():
    return render_role_objects("foundation", ("networkpolicies.yml.j2", "serviceaccounts.yml.j2"), BASE)


def test_every_route_sets_the_router_timeout_of_its_role(rendered):
    expected = {"dify": "3600s", "oauth2_proxy": "3600s", "litellm": "600s", "langfuse": "30s", "keycloak": "30s"}
    for role, objects in rendered.items():
        [route] = routes(objects)
        timeout = route["metadata"]["annotations"].get(TIMEOUT)
        assert timeout == expected[role], (role, timeout)
        assert HAPROXY_TIME.match(timeout), timeout


@pytest.mark.parametrize("role", sorted(ROUTED))
def test_the_timeout_variable_sets_the_annotation(role):
    [route] = routes(render(role, **{ROUTED[role][1]: "17m"}))
    assert route["metadata"]["annotations"][TIMEOUT] == "17m"


def test_blocking_calls_outlast_the_router_default(rendered):
    """Dify's blocking runs (up to 1200 s by default) and LiteLLM's non-streaming calls (OpenAI's SDKs wait 600 s)."""
    seconds = {"s": 1, "m": 60, "h": 3600}
    for role, floor in (("dify", 1200), ("oauth2_proxy", 1200), ("litellm", 600)):
        value = routes(rendered[role])[0]["metadata"]["annotations"][TIMEOUT]
        assert int(value[:-1]) * seconds[value[-1]] >= floor, (role, value)


def test_oauth2_proxy_waits_for_dify_as_long_as_the_router(rendered):
    objects = rendered["oauth2_proxy"]
    args = objects[("Deployment", "oauth2-proxy")]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--upstream-timeout=3600s" in args
    assert routes(objects)[0]["metadata"]["annotations"][TIMEOUT] == "3600s"


def test_a_timeout_in_days_reaches_oauth2_proxy_as_a_go_duration():
    """HAProxy takes `1d`; Go's time.ParseDuration has no `d` unit and OAuth2-Proxy would not start."""
    objects = render("oauth2_proxy", oauth2_proxy_route_timeout="1d")
    args = objects[("Deployment", "oauth2-proxy")]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--upstream-timeout=24h" in args
    assert routes(objects)[0]["metadata"]["annotations"][TIMEOUT] == "1d"


def test_the_dify_api_route_serves_the_service_api_only(rendered):
    route = rendered["dify"][("Route", "dify-api")]
    assert route["spec"]["path"] == "/v1"
    assert route["spec"]["to"]["name"] == "dify-api"
    # The console API, the web app API and files stay on the console host, behind OAuth2-Proxy.
    for name, objects in rendered.items():
        for other in routes(objects):
            if other["spec"]["to"]["name"] == "dify-api":
                assert other["spec"].get("path") == "/v1", name


def test_router_ingress_for_every_route(rendered, foundation):
    """A Route the router serves is dead unless the pods behind it admit the router on the target port."""
    router = [{"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}}]
    for role, objects in rendered.items():
        if role == "keycloak":
            continue  # Keycloak's pods are not (yet) foundation workloads: issue 14, defect 2
        for route in routes(objects):
            service = objects[("Service", route["spec"]["to"]["name"])]
            [port] = [p for p in service["spec"]["ports"] if p["name"] == route["spec"]["port"]["targetPort"]]
            workload = service["spec"]["selector"]["app.kubernetes.io/name"]
            workloads = [o for (kind, _unused), o in objects.items() if kind in ("Deployment", "StatefulSet")
                         and o["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/name") == workload]
            container_port = [c["containerPort"] for w in workloads for container in w["spec"]["template"]["spec"]["containers"]
                              for c in container.get("ports", []) if c["name"] == port["targetPort"] or c["containerPort"] == port["targetPort"]]
            assert container_port, (role, route["metadata"]["name"])
            policy = foundation.get(("NetworkPolicy", workload + "-ingress"))
            assert policy, "no ingress policy for %s" % workload
            allowed = [rule for rule in policy["spec"]["ingress"] if rule["from"] == router
                       and {"protocol": "TCP", "port": container_port[0]} in rule["ports"]]
            assert allowed, "the router may not reach %s:%s behind Route %s" % (workload, container_port[0], route["metadata"]["name"])


def test_no_service_api_route_no_router_ingress():
    objects = render("dify", dify_api_route_enabled=False)
    assert not routes(objects)
    policies = render_role_objects("foundation", ("networkpolicies.yml.j2",), dict(BASE, dify_api_route_enabled=False))
    for rule in policies[("NetworkPolicy", "dify-api-ingress")]["spec"]["ingress"]:
        assert "namespaceSelector" not in rule["from"][0], rule


def test_the_route_has_one_home():
    homes = sorted(str(path.relative_to(REPO)) for path in REPO.glob("roles/*/templates/**/*.j2")
                   if "kind: Route" in path.read_text())
    assert homes == ["roles/dify_platform/templates/platform/route.j2"]


def input_errors(role, *cases):
    """The role's own input rules (__<role>_input_errors, which dify_platform checks before any wave),
    one list per case ({variable: value} set on top of BASE), read in one ansible-playbook run: each
    case's facts are set from BASE again, so that no case sees another's values."""
    platform, directory = REPO / "roles" / "dify_platform", REPO / "roles" / role
    tasks = [{"name": "load %s" % path, "ansible.builtin.include_vars": {"file": str(path)}}
             for path in (platform / "defaults" / "main.yml", platform / "vars" / "main.yml",
                          directory / "defaults" / "main.yml", directory / "vars" / "main.yml")]
    earlier = set()
    for number, values in enumerate(cases):
        facts = dict(BASE, dify_pip_index_url="https://pypi.example.test/simple")
        # A key an earlier case set goes back to the role's own default (set_fact outranks the
        # include_vars above, so the default is read from the role's file here).
        facts.update((key, role_default(role, key)) for key in earlier if key not in values)
        facts.update(values)
        earlier.update(values)
        tasks += [{"name": "inputs %d" % number, "ansible.builtin.set_fact": facts},
                  {"name": "rules %d" % number, "ansible.builtin.debug": {"msg": "{{ __%s_input_errors }}" % role}}]
    play = run_tasks(tasks)
    errors = []
    for number in range(len(cases)):
        result = play.result("rules %d" % number)
        assert not result.get("failed"), result.get("msg")
        errors.append(result["msg"])
    return errors


def role_default(role, key):
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text())
    return defaults[key]


@pytest.mark.parametrize("role", sorted(ROUTED))
def test_a_timeout_the_router_would_ignore_is_refused(role):
    variable = ROUTED[role][1]
    default, refused = input_errors(role, {}, {variable: "1 hour"})
    assert default == []
    [error] = refused
    assert error.startswith(variable + " must be a router timeout") and "1 hour" in error
