"""A test router: nginx configuration generated from OpenShift Route objects.

OpenShift's router (HAProxy, openshift/router) is not available off OpenShift.
This is test infrastructure, not product: it turns the Routes the roles apply
into an nginx configuration that honours what the platform relies on, the way
openshift/router's HAProxy template does:

- ``spec.host`` picks the server, ``spec.path`` the location (a prefix, like
  the router's ``path_beg``; the longest prefix wins);
- ``spec.to`` (a Service) and ``spec.port.targetPort`` pick the Service port
  whose name, targetPort or port matches, as the router picks endpoints;
- ``spec.tls.termination`` ``edge`` (TLS ends at the router) and ``reencrypt``
  (TLS again to the pod, verified against ``destinationCACertificate`` or the
  service CA); ``passthrough`` is refused, since nothing here uses it;
- ``insecureEdgeTerminationPolicy``: ``Redirect`` (302 to https), ``Allow``
  (served on http too), ``None`` (not served on http);
- the ``haproxy.router.openshift.io/timeout`` annotation, in HAProxy's time
  format (``us``, ``ms``, ``s``, ``m``, ``h``, ``d``; no unit means ms), else
  the router's default server timeout of 30 s (ROUTER_DEFAULT_SERVER_TIMEOUT);
- the forwarded headers the router sets (X-Forwarded-Host, -Port, -Proto,
  -For and Forwarded).

``render(routes, services, ...)`` returns the configuration and the files it
names (certificates from the Routes themselves), so that a harness can put
both in a ConfigMap. Upstreams are resolved by name at request time, so the
router starts before the Services' pods are ready.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TIMEOUT_ANNOTATION = "haproxy.router.openshift.io/timeout"
# openshift/router: ROUTER_DEFAULT_SERVER_TIMEOUT.
DEFAULT_TIMEOUT = "30s"
_HAPROXY_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}


class RouteError(ValueError):
    """A Route this router cannot serve, named with the reason."""


def nginx_timeout(value: str) -> str:
    """An HAProxy time (``300s``, ``5m``, ``1500`` = ms) as an nginx time in ms."""
    match = re.fullmatch(r"\s*(\d+)\s*(us|ms|s|m|h|d)?\s*", str(value))
    if not match:
        raise RouteError("timeout %r is not an HAProxy time (a number, then us, ms, s, m, h or d)" % (value,))
    seconds = int(match.group(1)) * _HAPROXY_UNITS[match.group(2) or "ms"]
    return "%dms" % max(1, round(seconds * 1000))


@dataclass
class Backend:
    route: str
    path: str
    url: str
    timeout: str
    reencrypt_ca: str | None = None
    server_name: str | None = None


@dataclass
class Server:
    host: str
    tls: bool
    insecure: str
    backends: list[Backend] = field(default_factory=list)
    certificate: str | None = None


def _service_port(route, service):
    """The Service port the Route's targetPort names: its name, targetPort or port."""
    target = (route["spec"].get("port") or {}).get("targetPort")
    ports = service["spec"].get("ports") or []
    if target is None:
        if len(ports) == 1:
            return ports[0]["port"]
        raise RouteError("%s: no spec.port.targetPort and Service %s has %d ports"
                         % (_name(route), service["metadata"]["name"], len(ports)))
    for port in ports:
        if target in (port.get("name"), port.get("targetPort"), port.get("port")):
            return port["port"]
    raise RouteError("%s: Service %s has no port named or targeting %r"
                     % (_name(route), service["metadata"]["name"], target))


def _name(obj):
    return "%s/%s" % (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def cluster_dns(namespace, name):
    return "%s.%s.svc.cluster.local" % (name, namespace)


def _backend(route, services, service_ca_file, address):
    namespace = route["metadata"]["namespace"]
    to = route["spec"]["to"]
    if to.get("kind", "Service") != "Service":
        raise RouteError("%s: spec.to.kind %s is not a Service" % (_name(route), to.get("kind")))
    service = services.get((namespace, to["name"]))
    if service is None:
        raise RouteError("%s: Service %s/%s does not exist" % (_name(route), namespace, to["name"]))
    port = _service_port(route, service)
    tls = route["spec"].get("tls") or {}
    termination = tls.get("termination")
    dns = address(namespace, to["name"])
    annotations = route["metadata"].get("annotations") or {}
    timeout = nginx_timeout(annotations.get(TIMEOUT_ANNOTATION, DEFAULT_TIMEOUT))
    backend = Backend(route=_name(route), path=route["spec"].get("path") or "/",
                      url="%s://%s:%d" % ("https" if termination == "reencrypt" else "http", dns, port),
                      timeout=timeout)
    if termination == "reencrypt":
        backend.reencrypt_ca = "destination-ca-%s-%s.pem" % (namespace, route["metadata"]["name"]) \
            if tls.get("destinationCACertificate") else service_ca_file
        if not backend.reencrypt_ca:
            raise RouteError("%s: reencrypt without destinationCACertificate and no service CA given" % _name(route))
        backend.server_name = "%s.%s.svc" % (to["name"], namespace)
    return backend


def plan(routes, services, service_ca_file=None, address=cluster_dns):
    """{host: Server} for the Routes, with every certificate file they carry."""
    servers, files = {}, {}
    for route in sorted(routes, key=_name):
        spec = route["spec"]
        host = spec.get("host")
        if not host:
            raise RouteError("%s: no spec.host (the router would make one up; tests must name it)" % _name(route))
        tls = spec.get("tls") or {}
        termination = tls.get("termination")
        if termination not in (None, "edge", "reencrypt"):
            raise RouteError("%s: termination %s is not supported by the test router" % (_name(route), termination))
        backend = _backend(route, services, service_ca_file, address)
        server = servers.setdefault(host, Server(host=host, tls=bool(termination),
                                                 insecure=tls.get("insecureEdgeTerminationPolicy") or "None"))
        if server.tls != bool(termination):
            raise RouteError("%s: host %s is served both with and without TLS" % (_name(route), host))
        if any(b.path == backend.path for b in server.backends):
            raise RouteError("%s: host %s path %s is already taken" % (_name(route), host, backend.path))
        server.backends.append(backend)
        if tls.get("certificate") and tls.get("key"):
            server.certificate = "route-%s" % host
            files[server.certificate + ".crt"] = tls["certificate"] + "\n" + tls.get("caCertificate", "")
            files[server.certificate + ".key"] = tls["key"]
        if tls.get("destinationCACertificate"):
            files[backend.reencrypt_ca] = tls["destinationCACertificate"]
    return servers, files


def _location(backend, config_dir):
    lines = [
        "    location %s {" % backend.path,
        "      set $upstream %s;" % backend.url,
        "      proxy_pass $upstream;",
        "      proxy_http_version 1.1;",
        "      proxy_buffering off;",
        "      proxy_request_buffering off;",
        "      proxy_connect_timeout 5s;",
        "      proxy_read_timeout %s;" % backend.timeout,
        "      proxy_send_timeout %s;" % backend.timeout,
        "      proxy_set_header Host $host;",
        "      proxy_set_header X-Forwarded-Host $host;",
        "      proxy_set_header X-Forwarded-Port $forwarded_port;",
        "      proxy_set_header X-Forwarded-Proto $scheme;",
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        '      proxy_set_header Forwarded "for=$remote_addr;host=$host;proto=$scheme";',
        "      proxy_set_header Upgrade $http_upgrade;",
        "      proxy_set_header Connection $connection_upgrade;",
    ]
    if backend.reencrypt_ca:
        lines += [
            "      proxy_ssl_verify on;",
            "      proxy_ssl_trusted_certificate %s/%s;" % (config_dir, backend.reencrypt_ca),
            "      proxy_ssl_name %s;" % backend.server_name,
            "      proxy_ssl_server_name on;",
        ]
    lines.append("    }")
    return lines


def render(routes, services, *, resolver, cert_dir, config_dir, service_ca_file=None,
           https_port=8443, http_port=8080, address=cluster_dns, state_dir="/tmp", listen_address=None):
    """(nginx.conf text, {file name: content}) serving ``routes``.

    ``services`` maps (namespace, name) to the Service objects. A host without
    a certificate in its Route is served with ``<cert_dir>/<host>.crt`` and
    ``.key``, which the harness signs with the test CA. ``address(namespace,
    name)`` names a Service's host (cluster DNS unless a test says otherwise).
    ``state_dir`` holds the pid and nginx's buffers (an emptyDir in a pod).
    ``listen_address`` binds one address instead of all.
    """
    bind = "%s:" % listen_address if listen_address else ""
    servers, files = plan(routes, services, service_ca_file, address)
    out = [
        "# Generated from Route objects by tests/router/nginx_routes.py: a TEST router, not OpenShift's.",
        "worker_processes 1;",
        "pid %s/nginx.pid;" % state_dir,
        "error_log stderr notice;",
        "events { worker_connections 512; }",
        "http {",
        "  access_log /dev/stdout;",
        "  client_body_temp_path %s/client_body;" % state_dir,
        "  proxy_temp_path %s/proxy;" % state_dir,
        "  fastcgi_temp_path %s/fastcgi;" % state_dir,
        "  uwsgi_temp_path %s/uwsgi;" % state_dir,
        "  scgi_temp_path %s/scgi;" % state_dir,
        "  resolver %s valid=5s ipv6=off;" % resolver,
        "  large_client_header_buffers 4 32k;",
        "  proxy_buffer_size 32k;",
        "  proxy_buffers 8 32k;",
        "  client_max_body_size 100m;",
        "  map $http_upgrade $connection_upgrade { default upgrade; '' close; }",
        "  map $scheme $forwarded_port { https 443; default 80; }",
        "  server {",
        "    listen %s%d default_server;" % (bind, http_port),
        "    listen %s%d ssl default_server;" % (bind, https_port),
        "    ssl_certificate %s/default.crt;" % cert_dir,
        "    ssl_certificate_key %s/default.key;" % cert_dir,
        "    return 503;",
        "  }",
    ]
    for host in sorted(servers):
        server = servers[host]
        backends = sorted(server.backends, key=lambda b: b.path)
        if server.tls:
            cert = ("%s/%s" % (config_dir, server.certificate)) if server.certificate else "%s/%s" % (cert_dir, host)
            out += ["  server {", "    listen %s%d ssl;" % (bind, https_port), "    server_name %s;" % host,
                    "    ssl_certificate %s.crt;" % cert, "    ssl_certificate_key %s.key;" % cert]
            for backend in backends:
                out += _location(backend, config_dir)
            out.append("  }")
        if not server.tls or server.insecure != "None":
            out += ["  server {", "    listen %s%d;" % (bind, http_port), "    server_name %s;" % host]
            if server.tls and server.insecure == "Redirect":
                out.append("    return 302 https://$host$request_uri;")
            else:
                for backend in backends:
                    out += _location(backend, config_dir)
            out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n", files
