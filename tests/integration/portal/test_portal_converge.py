"""The portal role converged on the local control plane (a real kube-apiserver, Pod Security restricted, kwok pods).

Its tiles come from a Dify stand-in (tests/fakes/dify_console, the fake the Dify
module tests use), read through dify_app_info on every converge: a new Dify app
becomes a tile on the next converge; a second converge changes nothing; check
mode reports a declared tile's change and writes nothing. In a namespace of its
own (h8-portal-<id>) that the test deletes.
"""

import json
import subprocess
import uuid

import pytest

from fakes.dify_console import FakeDifyConsole
from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE
from helpers.playbook import run_tasks

KUBECTL = str(CACHE / "bin" / "kubectl")
EMAIL, PASSWORD = "admin@example.com", "Adm1n-S3cret-Pw"  # the fake's test account
DSL = """\
app:
  name: %s
  mode: chat
  icon: "🤖"
  icon_background: '#FFEAD5'
  description: %s
kind: app
version: 0.6.0
model_config:
  model: {provider: langgenius/openai/openai, name: gpt-4o-mini, mode: chat, completion_params: {}}
  pre_prompt: You answer.
"""
APPLY = "airgap.dify_platform.portal : Wave 3: apply the portal and wait until it is available"


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


def kubectl(kubeconfig, *args, data=None):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def namespace(kubeconfig):
    name = "h8-portal-" + uuid.uuid4().hex[:6]
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted"}}}
    assert kubectl(kubeconfig, "apply", "-f", "-", data=json.dumps(manifest)).returncode == 0
    # What the foundation wave makes for the workload (serviceaccounts.yml.j2).
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
               "metadata": {"name": "portal", "namespace": name}}
    assert kubectl(kubeconfig, "apply", "-f", "-", data=json.dumps(account)).returncode == 0
    yield name
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false")


@pytest.fixture
def dify():
    fake = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    yield fake
    fake.stop()


def converge(kubeconfig, namespace, dify, check=False, tiles=()):
    role_vars = {
        "dify_platform_registry": "harbor.example.test", "dify_platform_domain": "apps.example.test",
        "dify_platform_namespace": namespace, "dify_platform_components": ["portal"],
        "dify_platform_wait_timeout": 180, "dify_platform_secure_logging": False,
        "portal_dify_url": dify.url, "portal_dify_email": EMAIL, "portal_dify_password": PASSWORD,
        "portal_tiles": list(tiles),
    }
    play = run_tasks([{"name": "portal", "ansible.builtin.include_role": {"name": "airgap.dify_platform.portal"},
                       "vars": role_vars}], check=check,
                     extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig})
    failed = [r for r in play.results if r.get("failed")]
    assert not failed and play.returncode == 0, (failed[:1], play.stderr[-2000:])
    return play


def page(kubeconfig, namespace):
    out = kubectl(kubeconfig, "-n", namespace, "get", "configmap", "portal-page", "-o", "json")
    return json.loads(out.stdout)["data"]["index.html"] if out.returncode == 0 else ""


def test_converge_again_changes_nothing_and_a_new_dify_app_becomes_a_tile(kubeconfig, namespace, dify):
    dify.seed(DSL % ("faq-chat", "answers FAQs"))
    dify.seed(DSL % ("'<script>alert(1)</script>'", "evil"))
    first = converge(kubeconfig, namespace, dify)
    assert first.result(APPLY)["changed"] is True
    text = page(kubeconfig, namespace)
    assert ">faq-chat<" in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert ">Open Chat<" in text

    second = converge(kubeconfig, namespace, dify)
    assert second.stats["changed"] == 0, [r["_task"] for r in second.results if r.get("changed")]

    dify.seed(DSL % ("new-assistant", "came later"))
    third = converge(kubeconfig, namespace, dify)
    assert third.result(APPLY)["changed"] is True
    assert ">new-assistant<" in page(kubeconfig, namespace), "a new Dify app is a tile on the next converge"

    declared = [{"title": "Wiki", "url": "https://wiki.example.test", "icon": "W"}]
    check = converge(kubeconfig, namespace, dify, check=True, tiles=declared)
    assert check.result(APPLY)["changed"] is True, "check mode reports the page's change"
    assert ">Wiki<" not in page(kubeconfig, namespace), "check mode wrote the page"

    ready = kubectl(kubeconfig, "-n", namespace, "get", "deployment", "portal", "-o",
                    "jsonpath={.status.availableReplicas}")
    assert ready.stdout == "1", ready
