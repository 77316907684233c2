"""The SSO tier's test infrastructure on a kind cluster, outside pytest: molecule's kind scenario uses it.

``prepare``: push the images (tests/browser/kind_images.py: Keycloak, OAuth2-Proxy, the stand-ins and
the test router), start Keycloak (a test Deployment, ``start-dev``), the router's Service, the CoreDNS
``hosts`` block for the Route hosts and the router with the Routes present (Keycloak's), and write
what the inventory reads into the work directory: images.json, keycloak-admin-password (mode 0600,
never printed), the test CA (ca/ca.crt), a hosts file for the browser tests (hosts). The keycloak wave's external mode then configures this
Keycloak as any existing one, and OAuth2-Proxy's issuer is ``https://keycloak.<DOMAIN>/realms/...``.

``router``: re-render the router from the Routes the roles applied (after a converge).

The same objects as the browser tier's (tests/browser/kind_stack.py, which this module drives):
AIRGAP_KIND_KUBECONFIG, AIRGAP_KIND_INGRESS_ADDRESS and AIRGAP_SSO_KIND_WORKDIR choose the cluster,
the host address kind maps to the router and the work directory.

  python tests/browser/kind_infra.py prepare|router
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# pylint: disable=wrong-import-position
from browser import kind_images, kind_stack


def prepare():
    workdir = kind_stack.WORKDIR
    workdir.mkdir(parents=True, exist_ok=True)
    images = kind_images.build_and_push(log=lambda line: print(line, file=sys.stderr))
    (workdir / "images.json").write_text(json.dumps(images, indent=1, sort_keys=True))
    stack = kind_stack.KindSSO(images, workdir=workdir)
    password = stack.start_infrastructure()
    path = workdir / "keycloak-admin-password"
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    # For the browser tests of this cluster (test_sso_kind.py), bind-mounted over /etc/hosts in a
    # mount namespace of their own, as tests/browser/kind/hosts is for the browser tier's cluster.
    (workdir / "hosts").write_text("127.0.0.1 localhost\n::1 localhost\n%s %s %s\n" % (
        kind_stack.INGRESS_ADDRESS, kind_stack.KEYCLOAK_HOST, kind_stack.DIFY_HOST))
    stack.wait_keycloak()
    hosts = stack.start_router()
    print("keycloak=ready router=%s ca=%s" % (",".join(hosts), stack.ca.cert_path))


def router():
    images = json.loads((kind_stack.WORKDIR / "images.json").read_text())
    hosts = kind_stack.KindSSO(images, workdir=kind_stack.WORKDIR).start_router()
    print("router=%s" % ",".join(hosts))


if __name__ == "__main__":
    {"prepare": prepare, "router": router}[sys.argv[1]]()
