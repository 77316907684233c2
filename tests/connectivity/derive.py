"""Every connection the rendered platform needs, read from the rendered objects themselves.

A connection is read from where the program finds it: URLs and ``*_HOST``/``*_PORT`` pairs
in the environment (Secrets' non-secret keys such as ``issuer-url`` and ``host`` included),
URLs in arguments and in mounted ConfigMaps, squid's ``cache_peer`` lines, what operators
make of their CRs (model.py), Routes (router -> Service targetPort) and PodMonitors /
ServiceMonitors (Prometheus -> metrics port). A host is resolved like the cluster's DNS
would: ``name``, ``name.ns``, ``name.ns.svc[.cluster.local]`` -> the Service -> the pods its
selector picks, on the container port its targetPort names; a Route's host -> the router;
anything else -> an address outside the cluster (render.EXTERNAL_HOSTS).

Only three small tables are written by hand, each entry with its reason, and each entry
must still match something rendered (a stale entry fails the contract):
ADVERTISED (URLs a pod hands to browsers or other programs, never dials), UNUSED (a shared
environment's entries a given process never dials) and RUNTIME (connections configured
after install, which no rendered object holds).
"""

import re
from dataclasses import dataclass

from connectivity import model as modelling
from connectivity.render import EXTERNAL_HOSTS

# Addresses outside the pod network (RFC 5737 documentation ranges): the router's
# address that Route hosts resolve to, and the Kubernetes API.
ROUTER_IP = "192.0.2.10"
APISERVER_IP = "192.0.2.60"

# Peers outside the platform's namespaces: (namespace, pod labels). Their namespace
# labels come from the role variables that select them.
ROUTER = "router"
PROMETHEUS = "prometheus"
CNPG_OPERATOR = "cnpg-operator"
DNS = "dns"

DEFAULT_PORTS = {"http": 80, "https": 443, "redis": 6379, "rediss": 6379, "postgresql": 5432, "postgres": 5432,
                 "clickhouse": 9000, "s3": 443}
# Loopback, and the wildcard address of a listen option: never a connection to another pod.
IGNORED_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"}  # noqa: S104
URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://(?:[^@/\s\"']*@)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+)(?::(\d+))?")
CACHE_PEER = re.compile(r"^\s*cache_peer\s+(\S+)\s+\S+\s+(\d+)", re.MULTILINE)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")

# URLs a pod advertises (to browsers, or to programs that dial them from elsewhere) and
# never dials itself. Keyed by origin; '*' is any workload.
ADVERTISED = {
    ("*", "env:CONSOLE_WEB_URL"): "Dify: the console's public URL, for browsers",
    ("*", "env:CONSOLE_API_URL"): "Dify: the console API's public URL, for browsers",
    ("*", "env:APP_WEB_URL"): "Dify: the web app's public URL, for browsers",
    ("*", "env:APP_API_URL"): "Dify: the app API's public URL, for browsers",
    ("*", "env:SERVICE_API_URL"): "Dify: the service API's public URL, shown to app owners",
    ("*", "env:FILES_URL"): "Dify: signed file links for browsers",
    ("*", "env:INTERNAL_FILES_URL"): "Dify: file links handed to plugins, dialed from the plugin daemon",
    ("*", "env:NEXTAUTH_URL"): "Langfuse: its public URL, for sign-in redirects",
    ("oauth2-proxy", "arg:--redirect-url"): "OAuth2-Proxy: the OIDC callback, for browsers",
    ("open-webui", "env:WEBUI_URL"): "Open WebUI: its public URL, for links and redirects",
    ("open-webui", "env:CORS_ALLOW_ORIGIN"): "Open WebUI: the browser origin it accepts",
    ("open-webui", "env:OPENID_REDIRECT_URI"): "Open WebUI: the OIDC callback, for browsers",
    ("portal", "arg:--redirect-url"): "OAuth2-Proxy of the portal: the OIDC callback, for browsers",
}
# Entries of a shared environment that a given process never dials.
UNUSED = {
    ("dify-beat", "env:SSRF_PROXY_HTTP_URL"): "celery beat only schedules tasks; the worker runs them",
    ("dify-beat", "env:SSRF_PROXY_HTTPS_URL"): "celery beat only schedules tasks",
    ("dify-beat", "env:CODE_EXECUTION_ENDPOINT"): "celery beat only schedules tasks",
    ("dify-beat", "env:PLUGIN_DAEMON_URL"): "celery beat only schedules tasks",
    ("dify-beat", "env:S3_ENDPOINT"): "celery beat stores no file",
    ("dify-migrate", "env:SSRF_PROXY_HTTP_URL"): "flask upgrade-db only migrates the schema (with a Redis lock)",
    ("dify-migrate", "env:SSRF_PROXY_HTTPS_URL"): "flask upgrade-db only migrates the schema",
    ("dify-migrate", "env:CODE_EXECUTION_ENDPOINT"): "flask upgrade-db only migrates the schema",
    ("dify-migrate", "env:PLUGIN_DAEMON_URL"): "flask upgrade-db only migrates the schema",
    ("dify-migrate", "env:S3_ENDPOINT"): "flask upgrade-db stores no file",
    ("dify-migrate", "env:CELERY_BROKER_URL"): "flask upgrade-db queues no task",
    ("langfuse-worker", "env:CLICKHOUSE_MIGRATION_URL"):
        "the migration Job migrates ClickHouse; the worker's entrypoint runs no migration (langfuse/langfuse worker/entrypoint.sh)",
    ("langfuse-web", "env:CLICKHOUSE_MIGRATION_URL"):
        "the migration Job migrates ClickHouse; the web's entrypoint skips it (LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED=true)",
    ("langfuse-migrate", "env:CLICKHOUSE_URL"):
        "web/entrypoint.sh only checks that it is set; up.sh migrates through CLICKHOUSE_MIGRATION_URL",
    ("litellm-migrate", "env:LANGFUSE_HOST"): "litellm --skip_server_startup only migrates the schema",
    ("litellm-migrate", "config:litellm-config/config.yaml"): "litellm --skip_server_startup calls no model",
}
# Connections configured after install (through the console or the post waves), which no
# rendered object holds: (source workload, URL, condition on the variables, reason).
RUNTIME = (
    ("dify-plugin-daemon", "http://litellm.{ns}.svc:4000", lambda v: "litellm" in v["dify_platform_components"],
     "Dify's model provider for LiteLLM (an OpenAI-API-compatible plugin, run by the plugin daemon), "
     "set up with LiteLLM's in-cluster URL (docs/dify-apps.md)"),
    ("dify-api", "http://langfuse-web.{ns}.svc:3000", lambda v: "langfuse" in v["dify_platform_components"],
     "Dify's Langfuse tracing, set by dify_apps (docs/dify-apps.md, tracing)"),
    ("dify-worker", "http://langfuse-web.{ns}.svc:3000", lambda v: "langfuse" in v["dify_platform_components"],
     "Dify's Langfuse tracing, sent by the worker's workflow runs"),
)


@dataclass(frozen=True)
class Flow:
    """One needed connection: ``target`` is a workload name, or ``ROUTER_IP``-like address for outside."""

    source: str
    target: str
    port: int
    origin: str
    external: bool = False  # target is an address outside the cluster

    def as_tuple(self):
        return (self.source, self.target, self.port)


class Unresolved(Exception):
    """A host that names no rendered Service, Route or known external address."""


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist) against labels."""
    if any(k not in labels or labels[k] != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if (operator == "In" and labels.get(key) not in values) or (operator == "NotIn" and labels.get(key) in values) \
                or (operator == "Exists" and key not in labels) or (operator == "DoesNotExist" and key in labels):
            return False
    return True


def _service(model, host, namespace):
    parts = host.split(".")
    if len(parts) == 1:
        name, ns = parts[0], namespace
    elif len(parts) == 2 or parts[2:] in (["svc"], ["svc", "cluster", "local"]):
        name, ns = parts[0], parts[1]
    else:
        return None, None
    for service in model.services:
        if service.name == name and service.namespace == ns:
            return service, ns
    return None, ns


def _container_port(pod, target_port):
    if isinstance(target_port, int) or str(target_port).isdigit():
        return int(target_port)
    return pod.ports.get(target_port)


def service_targets(model, service, port=None, port_name=None):
    """[(pod, container port)] behind a Service port given by number or name."""
    targets = []
    for entry in service.ports:
        if (port is not None and entry["port"] == port) or (port_name is not None and port_name in (entry.get("name"), entry.get("targetPort"))):
            for pod in model.pods_selected(service.namespace, service.selector):
                number = _container_port(pod, entry.get("targetPort", entry["port"]))
                if number:
                    targets.append((pod, number))
    return targets


def resolve(model, pod, host, port, origin):
    """The Flows of ``pod`` dialing ``host:port``."""
    host = host.lower().rstrip(".")
    if host in IGNORED_HOSTS:
        return []
    if host.startswith("pod:"):
        # Pod to pod without a Service (model.py: JGroups failure detection).
        return [Flow(pod.workload, host[4:], port, origin)]
    for route_host, _service_name, _ns, _target in model.routes:
        if route_host == host:
            return [Flow(pod.workload, ROUTER_IP, port, origin + " (Route %s)" % host, True)]
    service, namespace = _service(model, host, pod.namespace)
    if service is not None:
        targets = service_targets(model, service, port=port)
        if not targets:
            raise Unresolved("%s: %s:%s: Service %s/%s has no such port or selects no pod" % (pod.workload, host, port, namespace, service.name))
        return sorted({Flow(pod.workload, target.workload, number, origin) for target, number in targets},
                      key=lambda f: (f.target, f.port))
    if host in EXTERNAL_HOSTS:
        return [Flow(pod.workload, EXTERNAL_HOSTS[host], port, origin + " (" + host + ")", True)]
    raise Unresolved("%s: %s (%s) is no rendered Service, Route or known external host" % (pod.workload, host, origin))


def _no_proxy(pod, host):
    entries = [e.strip().lower() for e in (pod.env.get("NO_PROXY") or pod.env.get("no_proxy") or "").split(",") if e.strip()]
    return any(entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")) for entry in entries)


def _proxy_url(pod, scheme):
    names = ("HTTPS_PROXY", "https_proxy") if scheme == "https" else ("HTTP_PROXY", "http_proxy")
    for name in names:
        if pod.env.get(name):
            return pod.env[name]
    return None


def endpoints(pod):
    """[(origin, scheme, host, port)] that the pod's texts name."""
    found = []
    pairs = {name[:-5]: value for name, value in pod.env.items() if name.endswith("_HOST")}
    for prefix, host in pairs.items():
        port = pod.env.get(prefix + "_PORT")
        if port and str(port).isdigit() and "://" not in host:
            found.append(("env:%s_HOST" % prefix, None, host, int(port)))
    for origin, text in pod.texts:
        if origin.startswith("arg") and str(text).startswith("--") and "=" in text:
            origin = "arg:" + text.split("=", 1)[0]
        for scheme, host, port in URL.findall(str(text)):
            number = int(port) if port else DEFAULT_PORTS.get(scheme)
            if number is None:
                continue
            found.append((origin, scheme, host, number))
        if origin.startswith("config:"):
            for host, port in CACHE_PEER.findall(str(text)):
                found.append((origin + " cache_peer", None, host, int(port)))
    for host, port, origin in pod.dials:
        found.append((origin, None, host, port))
    return found


def _skipped(table, workload, origin):
    for key in ((workload, origin), ("*", origin)):
        if key in table:
            return key
    return None


def pod_flows(model, pod, used_exemptions):
    flows = []
    proxy_origins = {"env:" + name for name in PROXY_VARIABLES}
    for origin, scheme, host, port in endpoints(pod):
        key = _skipped(ADVERTISED, pod.workload, origin) or _skipped(UNUSED, pod.workload, origin)
        if key:
            used_exemptions.add(key)
            continue
        proxy = _proxy_url(pod, scheme) if scheme in ("http", "https") and origin not in proxy_origins else None
        if proxy and not _no_proxy(pod, host.lower()):
            # Through the forward proxy: the pod dials the proxy (its own *_PROXY entry
            # gives that flow), and the proxy's pods dial the destination.
            proxy_host, proxy_port = URL.findall(proxy)[0][1:]
            for hop in resolve(model, pod, proxy_host, int(proxy_port or 80), "env:HTTPS_PROXY"):
                proxy_pod = model.pod(hop.target)
                for flow in resolve(model, proxy_pod, host, port, "%s of %s, through the proxy" % (origin, pod.workload)):
                    flows.append(flow)
            continue
        flows.extend(resolve(model, pod, host, port, origin))
    return flows


def peer_flows(model, variables):
    """Connections into the platform from outside it: the router, Prometheus, the CNPG operator."""
    flows = []
    for host, service_name, namespace, target_port in model.routes:
        service = next((s for s in model.services if s.name == service_name and s.namespace == namespace), None)
        if service is None:
            raise Unresolved("Route %s points at Service %s/%s, which is not rendered" % (host, namespace, service_name))
        targets = service_targets(model, service, port_name=target_port)
        if not targets:
            raise Unresolved("Route %s: Service %s has no port %s or selects no pod" % (host, service_name, target_port))
        flows.extend(Flow(ROUTER, pod.workload, number, "Route " + host) for pod, number in targets)
    for kind, namespace, selector, port_names in model.monitors:
        if kind == "PodMonitor":
            for pod in [p for p in model.pods if p.namespace == namespace and selector_matches(selector, p.labels)]:
                flows.extend(Flow(PROMETHEUS, pod.workload, pod.ports[name], "PodMonitor") for name in port_names if name in pod.ports)
        else:
            for service in [s for s in model.services if s.namespace == namespace and selector_matches(selector, s.labels)]:
                for name in port_names:
                    flows.extend(Flow(PROMETHEUS, pod.workload, number, "ServiceMonitor " + service.name)
                                 for pod, number in service_targets(model, service, port_name=name))
    for pod in model.pods:
        if any(key in pod.labels for key in modelling.CNPG_GROUPS.values()):
            # docs/src/networking.md: the operator reaches every instance on 8000 and 5432;
            # the instance manager reaches the Kubernetes API.
            flows.extend(Flow(CNPG_OPERATOR, pod.workload, port, "CNPG operator") for port in (8000, 5432))
            flows.extend(Flow(pod.workload, APISERVER_IP, port, "instance manager -> Kubernetes API", True) for port in (443, 6443))
    return flows


def runtime_flows(model, variables, used_exemptions):
    flows = []
    for source, url, condition, reason in RUNTIME:
        if not condition(variables):
            continue
        used_exemptions.add(("runtime", source, url))
        pod = model.pod(source)
        host, port = URL.findall(url.format(ns=variables["dify_platform_namespace"]))[0][1:]
        flows.extend(resolve(model, pod, host, int(port), "runtime: " + reason))
    return flows


def derive(objects, variables):
    """(model, [Flow], exemptions used) of one combination's rendered objects."""
    model = modelling.build(objects)
    used = set()
    flows = []
    for pod in model.pods:
        flows.extend(pod_flows(model, pod, used))
    flows.extend(peer_flows(model, variables))
    # Every pod resolves names (Services, Routes, external hosts) through the cluster DNS.
    flows.extend(Flow(pod.workload, DNS, 53, "name resolution") for pod in model.pods)
    flows.extend(runtime_flows(model, variables, used))
    unique = {}
    for flow in flows:
        unique.setdefault((flow.source, flow.target, flow.port), flow)
    return model, sorted(unique.values(), key=lambda f: (f.source, f.target, f.port)), used
