"""The SSO path on loopback, built from what the roles render: router -> OAuth2-Proxy -> Keycloak -> Dify stand-in.

Real programs, configured from the roles' own objects:

- Keycloak from Maven Central (tests/integration/keycloak/keycloak_server.py),
  behind the router like the operator mode's Route, with X-Forwarded headers
  trusted as the operator's Keycloak CR sets them (``proxy.headers: xforwarded``);
  its realm and clients made by the collection's ``keycloak_realm_clients``
  module with the keycloak role's declared clients;
- OAuth2-Proxy built from its Go module at the manifest's version
  (hack/tools/oauth2-proxy.sh), run with the args of the Deployment the
  oauth2_proxy role renders, its CA file taken from the CA bundle ConfigMap the
  foundation role renders;
- nginx as the router (tests/router), configured from the rendered Routes, on
  port 443 of a loopback address of its own (127.0.77.1).

Route hosts resolve to the router without the machine's DNS: Chromium through
``--host-resolver-rules``, OAuth2-Proxy through an /etc/hosts bind-mounted in
a mount namespace of its own (``unshare --mount``). Only Dify is a stand-in
(tests/browser/recorder.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import yaml

from harness.registry.registry import TestCA
from helpers import kubelet
from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import render_role_objects
from router.loopback import LoopbackRouter, free_port
from browser.recorder import Recorder

DOMAIN = "apps.sso.test"
ROUTER_ADDRESS = "127.0.77.1"
NAMESPACE = "dify-platform"
REALM = "dify-platform"
ALLOWED_GROUP = "dify-users"
DIGEST = "@sha256:" + "a" * 64


def _platform_vars(**overrides):
    base = {
        "dify_platform_domain": DOMAIN,
        "dify_platform_namespace": NAMESPACE,
        "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "dify"],
        "dify_platform_images": {name: "harbor.example.test/dify-platform/%s%s" % (name, DIGEST)
                                 for name in ("oauth2_proxy", "keycloak", "postgres")},
        "keycloak_url": "https://keycloak." + DOMAIN,
        "keycloak_mode": "operator",
    }
    base.update(overrides)
    return base


def keycloak_behind_router():
    """A module fixture's body: Keycloak from Maven Central behind a router, as the operator's Keycloak CR runs it
    (``spec.proxy.headers: xforwarded``), stopped at the end. SSO_TEST_KEYCLOAK_URL and _PASSWORD reuse one
    started that way (to iterate on a test)."""
    import sys  # pylint: disable=import-outside-toplevel
    sys.path.insert(0, str(REPO / "tests" / "integration" / "keycloak"))
    from keycloak_server import KeycloakServer  # pylint: disable=import-outside-toplevel

    if os.environ.get("SSO_TEST_KEYCLOAK_URL"):
        yield KeycloakServer(url=os.environ["SSO_TEST_KEYCLOAK_URL"], password=os.environ["SSO_TEST_KEYCLOAK_PASSWORD"])
        return
    server = KeycloakServer(extra_args=["--proxy-headers=xforwarded"]).start()
    yield server
    server.stop()


def oauth2_proxy_binary():
    out = subprocess.run([str(REPO / "hack" / "tools" / "oauth2-proxy.sh")], capture_output=True, text=True,
                         check=False, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError("building OAuth2-Proxy failed:\n%s" % out.stderr[-3000:])
    return out.stdout.strip().splitlines()[-1]


def _with_port(service, port):
    """The Service with its first port answered on ``port`` (its loopback backend)."""
    copy = yaml.safe_load(yaml.safe_dump(service))
    copy["spec"]["ports"][0]["port"] = port
    return copy


class SSOStack:
    """Start with :meth:`start`, stop with :meth:`stop`; ``ca_in_bundle=False`` renders a CA bundle without the test CA.

    The proxied app is Dify here; a subclass serves another one behind its own OAuth2-Proxy (the portal:
    tests/browser/portal_sso.py) by naming its Deployment, container, Route, Service and Keycloak client,
    its variables (:meth:`platform_vars`) and its upstream (:meth:`upstream_port`).
    """

    DEPLOYMENT, CONTAINER, ROUTE, SERVICE, CLIENT = "oauth2-proxy", "oauth2-proxy", "dify", "oauth2-proxy", "oauth2-proxy"

    def __init__(self, workdir, keycloak, ca_in_bundle=True, oauth2_proxy_vars=None, router_address=ROUTER_ADDRESS):
        self.dir = Path(workdir)
        self.router_address = router_address
        self.dir.mkdir(parents=True, exist_ok=True)
        self.keycloak = keycloak
        self.ca = TestCA(self.dir / "ca", name="airgap SSO test CA")
        self.ca_in_bundle = ca_in_bundle
        self.oauth2_proxy_vars = dict(oauth2_proxy_vars or {})
        self.web, self.api = Recorder("dify-web"), Recorder("dify-api")
        self.oauth2_proxy = None
        self.oauth2_proxy_log = self.dir / "oauth2-proxy.log"
        self.router = None
        self.objects = {}

    # --- what the roles render --------------------------------------------------------

    @staticmethod
    def platform_vars(**extra):
        return _platform_vars(**extra)

    def proxy_container(self):
        spec = self.objects[("Deployment", self.DEPLOYMENT)]["spec"]["template"]["spec"]
        return next(c for c in spec["containers"] if c["name"] == self.CONTAINER)

    def upstream_port(self, hostname):
        return {"dify-web": self.web.port, "dify-api": self.api.port}[hostname]

    def render(self):
        other_ca = TestCA(self.dir / "other-ca", name="a CA that did not sign the router")
        bundle = (self.ca if self.ca_in_bundle else other_ca).cert_path.read_text()
        self.objects.update(render_role_objects("foundation", ["config.yml.j2"],
                                                _platform_vars(dify_platform_ca_bundle_pem=bundle)))
        self.objects.update(render_role_objects("keycloak", ["operator.yml.j2"], _platform_vars()))
        self.objects.update(render_role_objects("oauth2_proxy", ["oauth2-proxy.yml.j2"],
                                                _platform_vars(oauth2_proxy_allowed_groups=[ALLOWED_GROUP],
                                                               **self.oauth2_proxy_vars)))
        return self.objects

    def ca_bundle_pem(self):
        """The bundle OAuth2-Proxy mounts: the ConfigMap the foundation role renders, found by the volume's name."""
        deployment = self.objects[("Deployment", self.DEPLOYMENT)]
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        name = next(v["configMap"]["name"] for v in volumes if v["name"] == "ca-bundle")
        return self.objects[("ConfigMap", name)]["data"]["ca-bundle.crt"]

    # --- Keycloak: realm, clients, people --------------------------------------------------

    def ensure_realm(self):
        """Run the keycloak role's realm task, as the role runs it, against the test Keycloak."""
        tasks = yaml.safe_load((REPO / "roles" / "keycloak" / "tasks" / "main.yml").read_text())
        task = next(t for t in tasks if "airgap.dify_platform.keycloak_realm_clients" in t)
        defaults = REPO / "roles" / "keycloak"
        play = run_tasks([
            {"name": "platform defaults", "ansible.builtin.include_vars":
                {"file": str(REPO / "roles" / "dify_platform" / "defaults" / "main.yml")}},
            {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(defaults / "defaults" / "main.yml")}},
            {"name": "role vars", "ansible.builtin.include_vars": {"file": str(defaults / "vars" / "main.yml")}},
            {"name": "inputs", "ansible.builtin.set_fact": self.platform_vars(keycloak_mode="external")},
            {"name": "realm", "airgap.dify_platform.keycloak_realm_clients": task["airgap.dify_platform.keycloak_realm_clients"],
             "vars": task["vars"], "module_defaults": {"group/airgap.dify_platform.keycloak": {
                 "auth_keycloak_url": self.keycloak.url, "auth_realm": "master", "auth_client_id": "admin-cli",
                 "auth_username": self.keycloak.username, "auth_password": self.keycloak.password}}},
        ])
        result = play.result("realm")
        assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
        return {client["client_id"]: client for client in result["clients"]}

    def add_person(self, username, password, groups=()):
        realm = "/admin/realms/%s" % REALM
        for group in groups:
            self.keycloak.api("POST", realm + "/groups", {"name": group})
        status, _unused = self.keycloak.api("POST", realm + "/users", {
            "username": username, "enabled": True, "email": "%s@example.test" % username, "emailVerified": True,
            "firstName": username.title(), "lastName": "Tester",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
            "groups": ["/" + g for g in groups]})
        assert status in (201, 409), status
        return self.user_id(username)

    def user_id(self, username):
        found = self.keycloak.get("/admin/realms/%s/users?%s" % (REALM, urllib.parse.urlencode(
            {"username": username, "exact": "true"})))
        return found[0]["id"]

    def end_sessions(self, username):
        """End a person's Keycloak sessions, as an idle or maximum session lifetime would."""
        status, _unused = self.keycloak.api("POST", "/admin/realms/%s/users/%s/logout" % (REALM, self.user_id(username)))
        assert status == 204, status

    def sessions(self, username):
        return self.keycloak.get("/admin/realms/%s/users/%s/sessions" % (REALM, self.user_id(username))) or []

    # --- the processes ----------------------------------------------------------------------

    def _oauth2_proxy_command(self, port, client):
        container = self.proxy_container()
        mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "ca-bundle")
        bundle = self.dir / "ca-bundle.crt"
        bundle.write_text(self.ca_bundle_pem())
        # The Secret the keycloak role writes for this client (client-secrets.yml.j2), from the module's result.
        oidc = render_role_objects("keycloak", ["client-secrets.yml.j2"], self.platform_vars(
            keycloak_mode="external", __keycloak_realm_clients={"clients": [client]}))
        secret_values = dict(oidc[("Secret", "dify-platform-oidc-" + client["client_id"])]["stringData"],
                             **{"cookie-secret": secrets.token_urlsafe(24)[:32]})
        container_env = kubelet.container_env(container, lambda name, key: secret_values[key])
        args = []
        for arg in container["args"]:
            key, _unused, value = kubelet.expand(arg, container_env).partition("=")
            if key == "--http-address":
                value = "127.0.0.1:%d" % port
            elif key == "--metrics-address":
                value = "127.0.0.1:%d" % free_port()
            elif key == "--upstream":
                url = urllib.parse.urlsplit(value)
                value = url._replace(netloc="127.0.0.1:%d" % self.upstream_port(url.hostname)).geturl()
            value = value.replace(mount, str(self.dir))
            args.append("%s=%s" % (key, value) if value else key)
        return args, dict(os.environ, **container_env)

    def start(self):
        self.render()
        client = self.ensure_realm()[self.CLIENT]
        port = free_port()
        routes = [self.objects[("Route", self.ROUTE)], self.objects[("Route", "keycloak")]]
        kc_port = urllib.parse.urlsplit(self.keycloak.url).port
        services = {(NAMESPACE, self.SERVICE): _with_port(self.objects[("Service", self.SERVICE)], port),
                    (NAMESPACE, "keycloak-service"): {"metadata": {"name": "keycloak-service"}, "spec": {"ports": [
                        {"name": "http", "port": kc_port, "targetPort": 8080}]}}}
        self.router = LoopbackRouter(self.dir / "router", self.ca, routes, services, address=self.router_address,
                                     https_port=443, http_port=80).__enter__()
        args, env = self._oauth2_proxy_command(port, client)
        hosts = self.dir / "hosts"
        hosts.write_text("127.0.0.1 localhost\n%s keycloak.%s %s.%s\n" % (self.router_address, DOMAIN, self.ROUTE, DOMAIN))
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        with open(self.oauth2_proxy_log, "wb") as log:
            self.oauth2_proxy = subprocess.Popen(  # pylint: disable=consider-using-with
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(hosts),
                 oauth2_proxy_binary(), *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_oauth2_proxy(self, timeout=30):
        """True once OAuth2-Proxy answers /ping; False if it exited (its log says why)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.oauth2_proxy.poll() is not None:
                return False
            status, _unused, _unused = self.router.get("%s.%s" % (self.ROUTE, DOMAIN), "/ping", cafile=str(self.ca.cert_path))
            if status == 200:
                return True
            time.sleep(0.3)
        return False

    def oauth2_proxy_output(self):
        return self.oauth2_proxy_log.read_text(errors="replace")

    def stop(self):
        if self.oauth2_proxy and self.oauth2_proxy.poll() is None:
            os.killpg(self.oauth2_proxy.pid, signal.SIGTERM)
            self.oauth2_proxy.wait(10)
        if self.router:
            self.router.__exit__(None, None, None)
        self.web.close()
        self.api.close()

    def keep_logs(self, directory):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for path in (self.oauth2_proxy_log, self.dir / "router" / "error.log", self.dir / "router" / "access.log"):
            if path.exists():
                shutil.copy(path, directory / path.name)
