"""The OIDC clients the keycloak role declares, evaluated from its own defaults and task file."""

import yaml

from helpers.paths import REPO
from helpers.playbook import run_tasks

ROLE = REPO / "roles" / "keycloak"
PLATFORM_DEFAULTS = REPO / "roles" / "dify_platform" / "defaults" / "main.yml"


def declared_client_ids(**variables):
    """client_id of every client the role's realm task would ensure."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    expression = next(t for t in tasks if "airgap.dify_platform.keycloak_realm_clients" in t)["vars"]["__keycloak_declared_clients"]
    play = run_tasks([
        {"name": "platform defaults", "ansible.builtin.include_vars": {"file": str(PLATFORM_DEFAULTS)}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(ROLE / "defaults" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": dict(variables, dify_platform_domain="apps.example.com")},
        {"name": "clients", "ansible.builtin.debug": {"msg": expression}},
    ])
    result = play.result("clients")
    assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    return [client["client_id"] for client in result["msg"]]


def test_no_dify_client_by_default_since_its_callback_exists_only_in_dify_enterprise():
    assert declared_client_ids(dify_platform_components=["foundation"]) == ["oauth2-proxy"]


def test_the_dify_enterprise_client_is_added_only_when_asked_for():
    clients = declared_client_ids(dify_platform_components=["foundation"], keycloak_dify_enterprise_client_enabled=True)
    assert clients == ["oauth2-proxy", "dify"]
