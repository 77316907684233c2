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
import signal
import subprocess
from pathlib import Path

from browser.stack import SSOStack, _platform_vars
from helpers.paths import REPO
from helpers.role_render import render_role_objects
from router.loopback import free_port

COMPONENTS = ["foundation", "keycloak", "postgres", "redis", "dify", "portal"]
NGINX_CONF = REPO / "hack" / "images" / "static-web" / "nginx.conf"


def portal_vars(**extra):
    return _platform_vars(dify_platform_components=COMPONENTS, **extra)


class PortalSSOStack(SSOStack):
    """Start with :meth:`start`, stop with :meth:`stop`; ``files`` is the directory of the page's files.

    The loopback stack of tests/browser/stack.py (router, Keycloak's realm, OAuth2-Proxy from the rendered
    container), for the portal's Deployment, container, Route, Service and client, with nginx as upstream."""

    DEPLOYMENT, CONTAINER, ROUTE, SERVICE, CLIENT = "portal", "oauth2-proxy", "portal", "portal", "portal"

    def __init__(self, workdir, keycloak, files, router_address="127.0.77.3"):
        super().__init__(workdir, keycloak, router_address=router_address)
        self.files = Path(files)
        self.nginx = None
        self.web_port = None

    @staticmethod
    def platform_vars(**extra):
        return portal_vars(**extra)

    def upstream_port(self, hostname):
        return self.web_port

    def render(self):
        bundle = self.ca.cert_path.read_text()
        self.objects.update(render_role_objects("foundation", ["config.yml.j2"], portal_vars(dify_platform_ca_bundle_pem=bundle)))
        self.objects.update(render_role_objects("keycloak", ["operator.yml.j2"], portal_vars()))
        self.objects.update(render_role_objects("portal", ["portal.yml.j2"], portal_vars(
            dify_platform_images={"oauth2_proxy": "harbor.example.test/p/oauth2-proxy@sha256:" + "a" * 64,
                                  "static_web": "harbor.example.test/p/static-web@sha256:" + "a" * 64})))
        return self.objects

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

    def start(self):
        self.web_port = self._start_nginx()
        return super().start()

    def stop(self):
        super().stop()
        if self.nginx and self.nginx.poll() is None:
            os.killpg(self.nginx.pid, signal.SIGTERM)
            self.nginx.wait(10)
