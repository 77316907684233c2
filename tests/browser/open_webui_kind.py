"""Open WebUI on a kind cluster the platform was converged on, for its browser tests (test_open_webui_kind.py).

The cluster's test infrastructure is the SSO tier's (tests/browser/kind_stack.py, started by kind_infra.py prepare:
Keycloak behind the test router, CoreDNS resolving the Route hosts); the platform is what ``playbooks/site.yml``
rendered with the open_webui, keycloak, postgres and litellm waves and ``open_webui_kind.yml``'s variables. Nothing
here converges the platform: molecule's kind scenario does, or ``python tests/browser/open_webui_kind.py converge``
on a cluster of one's own.

What this module adds on top of kind_stack: the person's Keycloak groups, ``playbooks/portal_users.yml`` run against
the cluster, LiteLLM's spend log read where LiteLLM writes it (its table in the platform's PostgreSQL).

Environment: the SSO tier's (AIRGAP_KIND_KUBECONFIG, AIRGAP_KIND_INGRESS_ADDRESS, AIRGAP_SSO_KIND_WORKDIR) and
AIRGAP_OPEN_WEBUI_INVENTORY, the inventory the platform was converged with (molecule's, or the one ``converge``
writes under the work directory).

  python tests/browser/open_webui_kind.py converge   site.yml with a kind-scenario inventory and open_webui_kind.yml
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# pylint: disable=wrong-import-position
from browser import kind_stack
from browser.kind_stack import DOMAIN, INGRESS_ADDRESS, NAMESPACE, KindSSO, kubectl
from helpers.paths import REPO

CHAT_URL = "https://chat." + DOMAIN
LITELLM_HOST = "litellm." + DOMAIN
VARS = Path(__file__).resolve().parent / "open_webui_kind.yml"
# The Route hosts this process and its playbooks reach through kind's port mapping of the router.
ROUTE_HOSTS = ",".join("%s.%s=%s" % (name, DOMAIN, INGRESS_ADDRESS) for name in ("keycloak", "chat", "litellm"))
RESOLVE_DIR = REPO / "molecule" / "kind" / "resolve"


def inventory():
    found = os.environ.get("AIRGAP_OPEN_WEBUI_INVENTORY") or str(kind_stack.WORKDIR.parent / "inventory")
    if not Path(found).exists():
        raise RuntimeError("no inventory at %s: set AIRGAP_OPEN_WEBUI_INVENTORY to the one the platform was "
                           "converged with" % found)
    return found


def resolve_route_hosts():
    """This process resolves the Route hosts to kind's port mapping, as molecule's run does (molecule/kind/resolve,
    imported, not copied); never through the machine's DNS."""
    os.environ["AIRGAP_TEST_HOSTS"] = ROUTE_HOSTS
    spec = importlib.util.spec_from_file_location("airgap_kind_resolve", RESOLVE_DIR / "sitecustomize.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def playbook(name, *extra, timeout=2400):
    """ansible-playbook playbooks/<name> on the cluster with open_webui_kind.yml: (returncode, recap line, output)."""
    kubeconfig = str(kind_stack.KUBECONFIG)
    env = dict(os.environ, KUBECONFIG=kubeconfig, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_NOCOLOR="1",
               AIRGAP_TEST_HOSTS=ROUTE_HOSTS, AIRGAP_SSO_KIND_WORKDIR=str(kind_stack.WORKDIR),
               PYTHONPATH=os.pathsep.join(filter(None, [str(RESOLVE_DIR), os.environ.get("PYTHONPATH")])))
    argv = ["ansible-playbook", "-i", inventory(), str(REPO / "playbooks" / name), "-e", "@%s" % VARS, *extra]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=timeout)
    recap = [line for line in out.stdout.splitlines() if line.startswith("kind-control-plane ")]
    return out.returncode, (recap[-1] if recap else ""), out.stdout + out.stderr


class OpenWebUIKind:
    """The people, their budgets and LiteLLM's spend log on the converged platform."""

    def __init__(self):
        images = json.loads((kind_stack.WORKDIR / "images.json").read_text())
        self.sso = KindSSO(images)
        self.password = self.sso.keycloak_password()
        self.keycloak = self.sso.keycloak_client(self.password)
        self.keycloak.admin_token()

    @property
    def ca_path(self):
        return self.sso.ca.cert_path

    def add_person(self, username, password, groups):
        return self.sso.add_person(username, password, groups=groups)

    def add_to_group(self, username, group):
        """Put an existing person in a Keycloak group (made if missing), as an administrator would."""
        realm = "/admin/realms/%s" % self.sso.realm()
        self.keycloak.api("POST", realm + "/groups", {"name": group})
        found = [g for g in self.keycloak.get(realm + "/groups?search=%s&exact=true" % group) if g["name"] == group]
        status, _unused = self.keycloak.api("PUT", "%s/users/%s/groups/%s" % (
            realm, self.sso.user_id(username), found[0]["id"]))
        assert status == 204, status

    @staticmethod
    def portal_users():
        return playbook("portal_users.yml")

    @staticmethod
    def psql(database, query, **variables):
        """Rows of ``query`` on the PostgreSQL primary, the ``variables`` given as psql variables (:'name')."""
        primary = kubectl("get", "pods", "-n", NAMESPACE, "-l", "cnpg.io/instanceRole=primary",
                          "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
        argv = ["exec", "-i", "-n", NAMESPACE, primary, "-c", "postgres", "--", "psql", "-d", database, "-At", "-F", "|"]
        for name, value in variables.items():
            argv += ["-v", "%s=%s" % (name, value)]
        out = kubectl(*argv, "-f", "-", stdin=query)
        return [tuple(line.split("|")) for line in out.stdout.splitlines() if line]

    def uploaded_text(self, email, filename):
        """What Open WebUI extracted from a person's uploaded file (its table ``file``, column data.content)."""
        rows = self.psql("open_webui", "SELECT f.data->>'content' FROM file f JOIN \"user\" u ON u.id = f.user_id "
                         "WHERE u.email = :'email' AND f.filename = :'filename';\n", email=email, filename=filename)
        return "\n".join(row[0] for row in rows)

    def spend_log(self, end_user, at_least=1, timeout=180):
        """LiteLLM's spend log rows charged to ``end_user``: (model group, spend, end user), read from its table
        LiteLLM_SpendLogs (written in batches, so waited for) on the PostgreSQL primary."""
        # The person as a psql variable (:'end_user' quotes it): no string built into SQL.
        query = 'SELECT model_group, spend, "end_user" FROM "LiteLLM_SpendLogs" WHERE "end_user" = :\'end_user\' ' \
                'ORDER BY "startTime";\n'
        deadline = time.monotonic() + timeout
        while True:
            rows = self.psql("litellm", query, end_user=end_user)
            if len(rows) >= at_least or time.monotonic() > deadline:
                return rows
            time.sleep(5)


def converge():
    """The platform on the cluster: a kind-scenario inventory (the local group_vars, molecule's host vars) in the
    work directory's parent, then site.yml with open_webui_kind.yml, twice (the second must change nothing)."""
    root = kind_stack.WORKDIR.parent / "inventory"
    (root / "host_vars").mkdir(parents=True, exist_ok=True)
    for link, target in ((root / "group_vars", REPO / "inventories" / "local" / "group_vars"),
                         (root / "host_vars" / "kind-control-plane.yml",
                          REPO / "molecule" / "kind" / "host_vars" / "kind-control-plane.yml")):
        if not link.is_symlink():
            link.symlink_to(target)
    (root / "hosts.yml").write_text("all:\n  children:\n    dify_platform:\n      hosts:\n        kind-control-plane: {}\n")
    os.environ.setdefault("AIRGAP_OPEN_WEBUI_INVENTORY", str(root))
    for attempt in (1, 2):
        started = time.monotonic()
        status, recap, output = playbook("site.yml")
        print("converge %d: %s in %.0fs" % (attempt, recap or "no recap", time.monotonic() - started))
        if status != 0:
            print(output[-6000:], file=sys.stderr)
            return status
    return 0 if " changed=0 " in recap else 1


if __name__ == "__main__":
    sys.exit({"converge": converge}[sys.argv[1]]())
