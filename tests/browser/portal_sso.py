"""The portal behind the real SSO path on loopback: router -> the portal's OAuth2-Proxy -> Keycloak, and the page.

What tests/browser/stack.py does for Dify, for the portal's pod as the portal role
renders it: the realm and clients made by the keycloak role's task with the
portal wave enabled (so the ``portal`` client exists), OAuth2-Proxy run with the
args of the portal Deployment's ``oauth2-proxy`` container, and the page served
by nginx with the static-web image's own configuration
(hack/images/static-web/nginx.conf; its root, listen address and temp paths
moved to the test's directory) from the files of the ConfigMap the role renders.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import yaml

from browser.stack import DOMAIN, NAMESPACE, SSOStack, _platform_vars, _with_port, oauth2_proxy_binary
from helpers import kubelet
from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import render_role_objects
from router.loopback import LoopbackRouter, free_port

COMPONENTS = ["foundation", "keycloak", "postgres", "redis", "dify", "portal"]
NGINX_CONF = REPO / "hack" / "images" / "static-web" / "nginx.conf"


def portal_vars(**extra):
    return _platform_vars(dify_platform_components=COMPONENTS, **extra)


class PortalSSOStack(SSOStack):
    """Start with :meth:`start`, stop with :meth:`stop`; ``files`` is the directory of the page's files."""

    def __init__(self, workdir, keycloak, files, router_address="127.0.77.3"):
        super().__init__(workdir, keycloak, router_address=router_address)
        self.files = Path(files)
        self.nginx = None

    def render(self):
        bundle = self.ca.cert_path.read_text()
        self.objects.update(render_role_objects("foundation", ["config.yml.j2"], portal_vars(dify_platform_ca_bundle_pem=bundle)))
        self.objects.update(render_role_objects("keycloak", ["operator.yml.j2"], portal_vars()))
        self.objects.update(render_role_objects("portal", ["portal.yml.j2"], portal_vars(
            dify_platform_images={"oauth2_proxy": "harbor.example.test/p/oauth2-proxy@sha256:" + "a" * 64,
                                  "static_web": "harbor.example.test/p/static-web@sha256:" + "a" * 64})))
        return self.objects

    def ensure_realm(self):
        """The keycloak role's realm task, as the role runs it, with the portal wave enabled."""
        tasks = yaml.safe_load((REPO / "roles" / "keycloak" / "tasks" / "main.yml").read_text())
        task = next(t for t in tasks if "airgap.dify_platform.keycloak_realm_clients" in t)
        role = REPO / "roles" / "keycloak"
        play = run_tasks([
            {"name": "platform defaults", "ansible.builtin.include_vars":
                {"file": str(REPO / "roles" / "dify_platform" / "defaults" / "main.yml")}},
            {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(role / "defaults" / "main.yml")}},
            {"name": "role vars", "ansible.builtin.include_vars": {"file": str(role / "vars" / "main.yml")}},
            {"name": "inputs", "ansible.builtin.set_fact": portal_vars(keycloak_mode="external")},
            {"name": "realm", "airgap.dify_platform.keycloak_realm_clients": task["airgap.dify_platform.keycloak_realm_clients"],
             "vars": task["vars"], "module_defaults": {"group/airgap.dify_platform.keycloak": {
                 "auth_keycloak_url": self.keycloak.url, "auth_realm": "master", "auth_client_id": "admin-cli",
                 "auth_username": self.keycloak.username, "auth_password": self.keycloak.password}}},
        ])
        result = play.result("realm")
        assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
        return {client["client_id"]: client for client in result["clients"]}

    def _start_nginx(self):
        port = free_port()
        work = self.dir / "nginx"
        work.mkdir(exist_ok=True)
        # Its temp paths first (the page's directory may itself be under /tmp), then the address and the root.
        conf = NGINX_CONF.read_text().replace("/tmp/", str(work) + "/")
        conf = conf.replace("listen 8080;", "listen 127.0.0.1:%d;" % port).replace("root /srv/www;", "root %s;" % self.files)
        conf = conf.replace("include /etc/nginx/server.d/*.conf;", "")
        assert "listen 127.0.0.1:%d;" % port in conf and str(self.files) in conf, "the static-web nginx.conf changed shape"
        (work / "nginx.conf").write_text(conf)
        log = open(work / "nginx.log", "wb")  # noqa: SIM115  (kept open for the process)
        self.nginx = subprocess.Popen(["nginx", "-e", "stderr", "-p", str(work), "-c", str(work / "nginx.conf")],
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return port

    def _proxy_command(self, port, web_port, client):
        spec = self.objects[("Deployment", "portal")]["spec"]["template"]["spec"]
        container = next(c for c in spec["containers"] if c["name"] == "oauth2-proxy")
        mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "ca-bundle")
        bundle = self.dir / "ca-bundle.crt"
        bundle.write_text(self.objects[("ConfigMap", "dify-platform-ca-bundle")]["data"]["ca-bundle.crt"])
        oidc = render_role_objects("keycloak", ["client-secrets.yml.j2"], portal_vars(
            keycloak_mode="external", __keycloak_realm_clients={"clients": [client]}))
        values = dict(oidc[("Secret", "dify-platform-oidc-portal")]["stringData"],
                      **{"cookie-secret": secrets.token_urlsafe(24)[:32]})
        env = kubelet.container_env(container, lambda name, key: values[key])
        args = []
        for arg in container["args"]:
            key, _unused, value = kubelet.expand(arg, env).partition("=")
            if key == "--http-address":
                value = "127.0.0.1:%d" % port
            elif key == "--upstream":
                value = urllib.parse.urlsplit(value)._replace(netloc="127.0.0.1:%d" % web_port).geturl()
            args.append("%s=%s" % (key, value.replace(mount, str(self.dir))) if value else key)
        return args, dict(os.environ, **env)

    def start(self):
        self.render()
        client = self.ensure_realm()["portal"]
        web_port = self._start_nginx()
        port = free_port()
        kc_port = urllib.parse.urlsplit(self.keycloak.url).port
        services = {(NAMESPACE, "portal"): _with_port(self.objects[("Service", "portal")], port),
                    (NAMESPACE, "keycloak-service"): {"metadata": {"name": "keycloak-service"}, "spec": {"ports": [
                        {"name": "http", "port": kc_port, "targetPort": 8080}]}}}
        routes = [self.objects[("Route", "portal")], self.objects[("Route", "keycloak")]]
        self.router = LoopbackRouter(self.dir / "router", self.ca, routes, services, address=self.router_address,
                                     https_port=443, http_port=80).__enter__()
        args, env = self._proxy_command(port, web_port, client)
        hosts = self.dir / "hosts"
        hosts.write_text("127.0.0.1 localhost\n%s keycloak.%s portal.%s\n" % (self.router_address, DOMAIN, DOMAIN))
        script = 'mount --bind "$0" /etc/hosts && exec "$@"'
        with open(self.oauth2_proxy_log, "wb") as log:
            self.oauth2_proxy = subprocess.Popen(  # pylint: disable=consider-using-with
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(hosts),
                 oauth2_proxy_binary(), *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.oauth2_proxy.poll() is not None:
                return False
            status, _unused, _unused = self.router.get("portal." + DOMAIN, "/ping", cafile=str(self.ca.cert_path))
            if status == 200:
                return True
            time.sleep(0.5)
        return False

    def stop(self):
        super().stop()
        if self.nginx and self.nginx.poll() is None:
            os.killpg(self.nginx.pid, signal.SIGTERM)
            self.nginx.wait(10)
