"""The test router against real nginx on loopback: host, path, target port, TLS and timeouts from Route objects."""

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.registry.registry import TestCA
from router.loopback import LoopbackRouter, free_port
from router.nginx_routes import TIMEOUT_ANNOTATION, RouteError, nginx_timeout, render


class Echo(BaseHTTPRequestHandler):
    """Answers with its name, the path and the headers it got; /slow/<s> waits first."""

    def do_GET(self):
        if self.path.startswith("/slow/"):
            time.sleep(float(self.path.rsplit("/", 1)[1]))
        body = json.dumps({"backend": self.server.name, "path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def backend(name, context=None):
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Echo)
    server.name = name
    if context:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def service(namespace, name, port, port_name="http", target="http"):
    return {"metadata": {"namespace": namespace, "name": name},
            "spec": {"ports": [{"name": port_name, "port": port, "targetPort": target}]}}


def route(namespace, name, host, to, path=None, termination="edge", insecure="Redirect", timeout=None, **tls):
    spec = {"host": host, "to": {"kind": "Service", "name": to}, "port": {"targetPort": "http"}}
    if path:
        spec["path"] = path
    if termination:
        spec["tls"] = dict(termination=termination, insecureEdgeTerminationPolicy=insecure, **tls)
    annotations = {TIMEOUT_ANNOTATION: timeout} if timeout else {}
    return {"metadata": {"namespace": namespace, "name": name, "annotations": annotations}, "spec": spec}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("router")
    ca = TestCA(workdir / "ca", name="airgap router test CA")
    other_ca = TestCA(workdir / "other-ca", name="a CA the pod's certificate is not from")
    cert, key = ca.server_cert("secure-backend", hosts=("secure.ns.svc",))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(str(cert), str(key))
    web, api, slow, secure = backend("web"), backend("api"), backend("slow"), backend("secure", tls)
    services = {("ns", "web"): service("ns", "web", web.server_port),
                ("ns", "api"): service("ns", "api", api.server_port, port_name="api", target=5001),
                ("ns", "slow"): service("ns", "slow", slow.server_port),
                ("ns", "secure"): service("ns", "secure", secure.server_port)}
    routes = [route("ns", "web", "app.test", "web"),
              route("ns", "api-v1", "app.test", "api", path="/v1"),
              route("ns", "slow-short", "slow.test", "slow", timeout="1s"),
              route("ns", "slow-long", "slow.test", "slow", path="/slow/2", timeout="1m"),
              route("ns", "secure", "secure.test", "secure", termination="reencrypt", insecure="None",
                    destinationCACertificate=ca.cert_path.read_text()),
              route("ns", "wrong-ca", "wrong-ca.test", "secure", termination="reencrypt", insecure="None",
                    destinationCACertificate=other_ca.cert_path.read_text())]
    routes[1]["spec"]["port"]["targetPort"] = 5001
    with LoopbackRouter(workdir / "router", ca, routes, services) as router:
        yield router, str(ca.cert_path)


def test_host_and_path_pick_the_service_the_route_names(setup):
    router, cafile = setup
    status, _unused, body = router.get("app.test", "/console", cafile=cafile)
    assert status == 200 and json.loads(body)["backend"] == "web"
    status, _unused, body = router.get("app.test", "/v1/chat-messages", cafile=cafile)
    assert status == 200 and json.loads(body) == {**json.loads(body), "backend": "api", "path": "/v1/chat-messages"}


def test_edge_tls_is_signed_by_the_test_ca_for_the_route_host(setup):
    router, cafile = setup
    with pytest.raises(ssl.SSLCertVerificationError):
        router.get("app.test", "/", cafile=None)
    status, _unused, body = router.get("app.test", "/", cafile=cafile)
    headers = json.loads(body)["headers"]
    assert status == 200 and headers["X-Forwarded-Proto"] == "https" and headers["X-Forwarded-Host"] == "app.test"


def test_plain_http_is_redirected_or_refused_as_the_route_says(setup):
    router, _unused = setup
    status, headers, _unused = router.get("app.test", "/x?y=1", tls=False)
    assert status == 302 and headers["Location"] == "https://app.test/x?y=1"
    status, _unused, _unused = router.get("secure.test", "/", tls=False)
    assert status == 503


def test_reencrypt_verifies_the_pod_certificate_against_the_destination_ca(setup):
    router, cafile = setup
    status, _unused, body = router.get("secure.test", "/", cafile=cafile)
    assert status == 200 and json.loads(body)["backend"] == "secure"
    status, _unused, _unused = router.get("wrong-ca.test", "/", cafile=cafile)
    assert status == 502


def test_an_unknown_host_gets_the_default_backend(setup):
    router, _unused = setup
    status, _unused, _unused = router.get("nobody.test", "/", tls=False)
    assert status == 503


def test_the_timeout_annotation_cuts_a_slow_answer_with_a_504_and_a_longer_one_lets_it_through(setup):
    router, cafile = setup
    started = time.monotonic()
    status, _unused, _unused = router.get("slow.test", "/slow/3", cafile=cafile)
    assert status == 504 and time.monotonic() - started < 2.9
    status, _unused, body = router.get("slow.test", "/slow/2", cafile=cafile)
    assert status == 200 and json.loads(body)["backend"] == "slow"


def test_haproxy_times_become_nginx_times():
    assert [nginx_timeout(v) for v in ("30s", "5m", "1500", "2h", "250ms")] == \
        ["30000ms", "300000ms", "1500ms", "7200000ms", "250ms"]
    with pytest.raises(RouteError, match="HAProxy time"):
        nginx_timeout("5 minutes")


def test_routes_the_router_cannot_serve_are_named():
    services = {("ns", "web"): service("ns", "web", 80)}
    with pytest.raises(RouteError, match="ns/gone: Service ns/nothing does not exist"):
        render([route("ns", "gone", "a.test", "nothing")], services, resolver="r", cert_dir="c", config_dir="d")
    bad_port = route("ns", "port", "a.test", "web")
    bad_port["spec"]["port"]["targetPort"] = "metrics"
    with pytest.raises(RouteError, match="no port named or targeting 'metrics'"):
        render([bad_port], services, resolver="r", cert_dir="c", config_dir="d")
    with pytest.raises(RouteError, match="passthrough"):
        render([route("ns", "p", "a.test", "web", termination="passthrough")], services,
               resolver="r", cert_dir="c", config_dir="d")
