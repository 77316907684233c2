"""The dify role's air-gap switches, rendered by Ansible with the role's own defaults and vars (issue 14, defect 10).

Each environment name is Dify 1.15.0's or its plugin daemon's (cited in the templates): nothing may
call a public host by default, and the plugin daemon must get the internal index and the CA bundle
in a form uv really reads (the daemon runs uv with an environment of its own).
"""

import pytest

from helpers.playbook import run_tasks
from helpers.paths import REPO
from helpers.role_render import PLATFORM_VARS, render_role_objects

DIGEST = "@sha256:" + "b" * 64
INDEX = "https://nexus.example.test/repository/pypi/simple"
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_components": ["foundation", "postgres", "redis", "dify"],
    "dify_platform_sandbox_enabled": True,
    "dify_platform_storage_class": "",
    "dify_platform_size": "small",
    "dify_platform_images": {key: "harbor.example.test/dify-platform/%s%s" % (key, DIGEST) for key in (
        "dify_api", "dify_web", "dify_sandbox", "dify_plugin_daemon", "ssrf_proxy")},
    "dify_pip_index_url": INDEX,
}
S3 = {"dify_storage_type": "s3", "dify_s3": {"endpoint": "https://s3.openshift-storage.svc", "bucket": "dify",
                                             "credentials_secret": "dify-s3"}}


def render(**overrides):
    return render_role_objects("dify", ("config.yml.j2", "migrate.yml.j2", "workloads.yml.j2"), dict(BASE, **overrides))


def container(objects, name):
    return objects[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]


def env_of(objects, name):
    return dict((item["name"], item.get("value", item.get("valueFrom"))) for item in container(objects, name)["env"])


@pytest.fixture(scope="module")
def default():
    return render()


@pytest.mark.parametrize("workload", ["dify-api", "dify-worker", "dify-beat"])
def test_no_public_template_host_and_no_marketplace_update_check(default, workload):
    env = env_of(default, workload)
    assert env["HOSTED_FETCH_APP_TEMPLATES_MODE"] == "builtin"
    assert env["HOSTED_FETCH_PIPELINE_TEMPLATES_MODE"] == "builtin"
    assert env["ENABLE_CHECK_UPGRADABLE_PLUGIN_TASK"] == "false"
    assert env["MARKETPLACE_ENABLED"] == "false" and env["CHECK_UPDATE_URL"] == ""


def test_the_migration_job_has_the_same_switches(default):
    job = next(obj for (kind, _name), obj in default.items() if kind == "Job")
    env = dict((item["name"], item.get("value")) for item in job["spec"]["template"]["spec"]["containers"][0]["env"])
    assert env["HOSTED_FETCH_APP_TEMPLATES_MODE"] == "builtin"


def test_plugins_fetch_files_from_the_api_service_not_the_sso_protected_host(default):
    env = env_of(default, "dify-api")
    assert env["INTERNAL_FILES_URL"] == "http://dify-api:5001"
    assert env["FILES_URL"] == "https://dify.apps.example.test"
    # The plugin daemon reaches that Service directly (no proxy), as it reaches the inner API.
    plugin = env_of(default, "dify-plugin-daemon")
    assert plugin["DIFY_INNER_API_URL"] == "http://dify-api:5001"
    assert "dify-api" in plugin["NO_PROXY"].split(",")


def test_the_plugin_daemon_installs_from_the_internal_index_through_uv_s_own_arguments(default):
    env = env_of(default, "dify-plugin-daemon")
    assert env["PIP_MIRROR_URL"] == INDEX
    assert env["PIP_MIRROR_AUTO_DETECT"] == "false"
    assert env["PIP_EXTRA_ARGS"] == "--native-tls"
    # The daemon starts uv with VIRTUAL_ENV, PATH, UV_CACHE_DIR and the proxies only: UV_* set here would be dead.
    assert not [name for name in env if name.startswith("UV_")]


def test_the_plugin_daemon_and_its_plugins_trust_the_internal_ca(default):
    env = env_of(default, "dify-plugin-daemon")
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == "/etc/pki/dify-platform/ca-bundle.crt"
    pod = default[("Deployment", "dify-plugin-daemon")]["spec"]["template"]["spec"]
    volumes = dict((volume["name"], volume) for volume in pod["volumes"])
    assert volumes["ca-bundle"]["configMap"]["name"] == "dify-platform-ca-bundle"
    mounts = [mount for mount in container(default, "dify-plugin-daemon")["volumeMounts"] if mount["name"] == "ca-bundle"]
    assert {"name": "ca-bundle", "mountPath": "/etc/pki/dify-platform", "readOnly": True} in mounts
    # uv --native-tls reads the system store: the bundle is mounted over it.
    assert {"name": "ca-bundle", "mountPath": "/etc/ssl/certs/ca-certificates.crt", "subPath": "ca-bundle.crt",
            "readOnly": True} in mounts


def test_path_style_s3_by_default_and_virtual_on_request():
    assert env_of(render(**S3), "dify-api")["S3_ADDRESS_STYLE"] == "path"
    assert env_of(render(dify_s3_address_style="virtual", **S3), "dify-worker")["S3_ADDRESS_STYLE"] == "virtual"
    assert "S3_ADDRESS_STYLE" not in env_of(render(), "dify-api")


def test_remote_templates_only_when_asked():
    env = env_of(render(dify_templates_mode="remote", dify_marketplace_enabled=True), "dify-api")
    assert env["HOSTED_FETCH_APP_TEMPLATES_MODE"] == env["HOSTED_FETCH_PIPELINE_TEMPLATES_MODE"] == "remote"
    assert env["ENABLE_CHECK_UPGRADABLE_PLUGIN_TASK"] == "true"


def input_errors(**overrides):
    """__dify_input_errors as the preflight (validate_roles) and the role's assert read it."""
    directory = REPO / "roles" / "dify"
    play = run_tasks([
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(directory / "defaults" / "main.yml")}},
        {"name": "role vars", "ansible.builtin.include_vars": {"file": str(directory / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": dict(BASE, **overrides)},
        {"name": "errors", "ansible.builtin.debug": {"msg": "{{ __dify_input_errors }}"}},
    ])
    return play.result("errors")["msg"]


@pytest.mark.parametrize("url", ["", "pypi.org/simple", "ftp://mirror/simple"])
def test_the_preflight_names_the_missing_package_index(url):
    errors = input_errors(dify_pip_index_url=url)
    assert len(errors) == 1 and errors[0].startswith("dify_pip_index_url must be the URL of an internal Python package index")


def test_a_good_input_has_no_error():
    assert input_errors() == []
    assert input_errors(**S3) == []
    assert input_errors(dify_storage_type="s3")[0].startswith("dify_s3 needs an endpoint")
