"""Bad input to site.yml fails in the preflight, naming the variable, before any change.

The kubeconfig points at a file that does not exist: had any task reached the
cluster, the run would fail there with a connection error instead of the
preflight's message, so these tests also prove nothing was applied.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.paths import COLLECTIONS_ROOT, REPO

PLAYBOOK = REPO / "playbooks" / "site.yml"
LOCAL_VARS = yaml.safe_load((REPO / "inventories" / "local" / "group_vars" / "dify_platform.yml").read_text())
DIGEST = "sha256:" + "cd" * 32


def run_site(tmp_path, overrides, drop=(), playbook=PLAYBOOK):
    variables = {k: v for k, v in LOCAL_VARS.items() if k not in drop and not str(v).startswith("{{")}
    variables.update(overrides)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"dify_platform": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}, "vars": variables}}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_NOCOLOR="1",
               K8S_AUTH_KUBECONFIG=str(tmp_path / "no-such-kubeconfig"), ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def assert_failed_in_preflight(rc, output, variable):
    assert rc != 0, output
    assert variable in output, output
    assert "Wave -1" not in output.split("fatal:")[0], "a wave started before the preflight failed:\n" + output
    assert "no-such-kubeconfig" not in output, output


def test_missing_registry(tmp_path):
    rc, output = run_site(tmp_path, {}, drop=("dify_platform_registry",))
    assert_failed_in_preflight(rc, output, "dify_platform_registry")


def test_invalid_domain(tmp_path):
    rc, output = run_site(tmp_path, {"dify_platform_domain": "apps..example_internal"})
    assert_failed_in_preflight(rc, output, "dify_platform_domain")


def test_unknown_postgres_api_group(tmp_path):
    rc, output = run_site(tmp_path, {"postgres_api_group": "postgresql.example.com"})
    assert_failed_in_preflight(rc, output, "postgres_api_group")


@pytest.mark.parametrize("reference", ["harbor.local.dify-platform.test/dify-platform/library/redis:8.10.2",
                                       "harbor.local.dify-platform.test/dify-platform/library/redis"])
def test_tag_only_image(tmp_path, reference):
    rc, output = run_site(tmp_path, {"dify_platform_image_overrides": {"redis": reference}})
    assert_failed_in_preflight(rc, output, "dify_platform_image_overrides.redis")
    assert "tag-only reference is refused" in output


def test_a_digest_pinned_override_passes_the_preflight(tmp_path):
    """The same run with a good override gets past the preflight and fails only at the (missing) cluster:
    in the first task that reads it, the upgrade detection's read of the running workloads (before
    any wave; roles/upgrade), with the client's own error about the kubeconfig."""
    rc, output = run_site(tmp_path, {"dify_platform_image_overrides": {
        "redis": "harbor.local.dify-platform.test/dify-platform/library/redis@" + DIGEST}})
    assert rc != 0
    before_failure = output.split("fatal:")[0] if "fatal:" in output else output.split("failed:")[0]
    assert "TASK [airgap.dify_platform.upgrade :" in before_failure, output
    assert "Invalid kube-config file" in output, output


def test_a_later_wave_s_rule_fails_before_the_first_wave(tmp_path):
    """Rules the argument specs cannot express (here LiteLLM's unique model names) are checked up front too."""
    models = [{"model_name": "same", "model": "openai/a"}, {"model_name": "same", "model": "openai/b"}]
    rc, output = run_site(tmp_path, {"litellm_models": models})
    assert_failed_in_preflight(rc, output, "litellm_models")


def test_an_external_clickhouse_without_its_url_is_named(tmp_path):
    rc, output = run_site(tmp_path, {"langfuse_clickhouse_mode": "external"})
    assert_failed_in_preflight(rc, output, "langfuse_clickhouse_url")


def test_no_internal_package_index_is_named(tmp_path):
    """Plugins can always be installed, so the plugin daemon's internal index is required (issue 14, defect 10)."""
    rc, output = run_site(tmp_path, {}, drop=("dify_pip_index_url",))
    assert_failed_in_preflight(rc, output, "dify_pip_index_url must be the URL of an internal Python package index")


def test_traces_without_a_backend_are_named(tmp_path):
    rc, output = run_site(tmp_path, {"observability_traces_enabled": True})
    assert_failed_in_preflight(rc, output, "observability_traces_endpoint")


def test_a_role_used_on_its_own_checks_its_own_rules(tmp_path):
    """Outside site.yml the role's main.yml checks what its argument spec cannot express, before its wave."""
    playbook = tmp_path / "litellm-alone.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "dify_platform", "gather_facts": False,
        "roles": [{"role": "airgap.dify_platform.dify_platform"}, {"role": "airgap.dify_platform.litellm"}]}]))
    models = [{"model_name": "same", "model": "openai/a"}, {"model_name": "same", "model": "openai/b"}]
    rc, output = run_site(tmp_path, {"litellm_models": models, "dify_platform_components": []}, playbook=playbook)
    assert rc != 0 and "litellm_models needs a model_name (unique)" in output, output
    assert "check the LiteLLM model list" in output and "no-such-kubeconfig" not in output, output
