"""LiteLLM's salt key lives in a Secret of its own, carried over from older installs (issue 14, defect 13).

The foundation's generated-secrets template is applied with the apply_wave action, create-only, as the
foundation role applies it, against the local control plane; kubectl reads back what is stored. No value
is printed: each is compared as stored (base64).
"""

import base64
import json
import subprocess
import uuid

import pytest

from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE, REPO
from helpers.playbook import run_tasks

KUBECTL = str(CACHE / "bin" / "kubectl")
ROLE = REPO / "roles" / "foundation"
TEMPLATE = ROLE / "templates" / "generated-secrets.yml.j2"


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


@pytest.fixture
def namespace(kubeconfig):
    name = "salt-" + uuid.uuid4().hex[:8]
    assert kubectl(kubeconfig, "create", "namespace", name).returncode == 0
    yield name
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")


def kubectl(kubeconfig, *args, stdin=None):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)


def data(kubeconfig, namespace, name):
    proc = kubectl(kubeconfig, "get", "secret", name, "-n", namespace, "-o", "json")
    return json.loads(proc.stdout)["data"] if proc.returncode == 0 else None


def generate(kubeconfig, namespace):
    """The foundation's generated Secrets, applied create-only (roles/foundation/tasks/main.yml)."""
    run = run_tasks([
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(REPO / "roles" / "dify_platform" / "vars" / "main.yml")}},
        {"name": "defaults", "ansible.builtin.include_vars": {"file": str(ROLE / "defaults" / "main.yml")}},
        {"name": "vars", "ansible.builtin.include_vars": {"file": str(ROLE / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": {
            "foundation_namespace": namespace, "dify_platform_components": ["foundation", "litellm"]}},
        {"name": "generate", "no_log": True, "airgap.dify_platform.apply_wave": {
            "wave": -1, "component": "generated-secrets", "report": False, "create_only": True, "wait": False,
            "templates": [str(TEMPLATE)]}},
    ], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    result = run.result("generate")
    assert run.returncode == 0 and not result.get("failed"), run.stderr[-2000:]
    return result


def old_style_secret(kubeconfig, namespace):
    """dify-platform-litellm as the foundation created it before the split: master-key and salt-key."""
    values = {"master-key": uuid.uuid4().hex * 2, "salt-key": uuid.uuid4().hex * 2}
    manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dify-platform-litellm", "namespace": namespace},
                "stringData": values}
    assert kubectl(kubeconfig, "apply", "-f", "-", stdin=json.dumps(manifest)).returncode == 0
    return dict((key, base64.b64encode(value.encode()).decode()) for key, value in values.items())


def test_an_upgrade_keeps_the_salt_key_of_the_old_secret(kubeconfig, namespace):
    before = old_style_secret(kubeconfig, namespace)
    generate(kubeconfig, namespace)
    assert data(kubeconfig, namespace, "dify-platform-litellm-salt") == {"salt-key": before["salt-key"]}
    assert data(kubeconfig, namespace, "dify-platform-litellm") == before, "an existing Secret is never changed"
    # A second run changes nothing.
    assert not generate(kubeconfig, namespace)["changed"]


def test_rotating_the_master_key_keeps_the_salt_key(kubeconfig, namespace):
    generate(kubeconfig, namespace)
    master = data(kubeconfig, namespace, "dify-platform-litellm")
    salt = data(kubeconfig, namespace, "dify-platform-litellm-salt")
    assert set(master) == {"master-key"} and len(base64.b64decode(salt["salt-key"])) == 48
    # The operator guide's rotation: delete the Secret and re-run.
    assert kubectl(kubeconfig, "delete", "secret", "dify-platform-litellm", "-n", namespace).returncode == 0
    assert generate(kubeconfig, namespace)["changed"]
    assert data(kubeconfig, namespace, "dify-platform-litellm")["master-key"] != master["master-key"]
    assert data(kubeconfig, namespace, "dify-platform-litellm-salt") == salt
