"""The plugin daemon trusts the operator's plugin-signing key, and signature verification stays on (issue 20 item 4).

Rendered by Ansible with the dify role's own defaults and vars (no cluster). The names and the
file format are langgenius/dify-plugin-daemon's (cited in roles/dify/templates/plugin-daemon-env.yml.j2
and roles/dify/vars/main.yml): THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED and
THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS (internal/types/app/config.go), a comma-separated list
of files, each read with os.ReadFile and LoadPublicKey (pkg/plugin_packager/decoder/verifier.go,
pkg/utils/encryption/rsa.go): one PEM "RSA PUBLIC KEY" block and nothing after it.
"""

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.role_render import PLATFORM_DEFAULTS, PLATFORM_VARS, render_role_objects

DIGEST = "@sha256:" + "c" * 64
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_route_tls_termination": "edge",
    "dify_platform_components": ["foundation", "postgres", "redis", "dify"],
    "dify_platform_sandbox_enabled": False,
    "dify_platform_storage_class": "",
    "dify_platform_size": "small",
    "dify_platform_images": {key: "harbor.example.test/dify-platform/%s%s" % (key, DIGEST) for key in (
        "dify_api", "dify_web", "dify_sandbox", "dify_plugin_daemon", "ssrf_proxy")},
    "dify_pip_index_url": "https://nexus.example.test/repository/pypi/simple",
}
MOUNT = "/etc/dify-plugin-daemon/trusted-keys"
DIFY = REPO / "roles" / "dify"


@pytest.fixture(scope="module")
def keys():
    """Two operator key pairs: PEM RSA PUBLIC KEY (PKCS#1), as `dify signature generate` writes them."""
    return [difypkg.generate_key(bits=2048) for dummy in range(2)]


def render(**overrides):
    return render_role_objects("dify", ("config.yml.j2", "workloads.yml.j2"), dict(BASE, **overrides))


def daemon(objects):
    pod = objects[("Deployment", "dify-plugin-daemon")]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = dict((item["name"], item.get("value", item.get("valueFrom"))) for item in container["env"])
    return pod, container, env


def test_without_a_key_only_the_marketplace_signature_is_trusted_and_verification_is_on():
    objects = render()
    _pod, container, env = daemon(objects)
    assert env["FORCE_VERIFYING_SIGNATURE"] == "true"
    assert env["THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED"] == "false"
    assert "THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS" not in env
    # The ConfigMap exists and is empty, so that removing the last key empties it on the cluster.
    assert objects[("ConfigMap", "dify-plugin-trusted-keys")]["data"] == {}
    assert {"name": "trusted-keys", "mountPath": MOUNT, "readOnly": True} in container["volumeMounts"]


def test_the_operators_keys_are_files_the_daemon_reads_mounted_read_only(keys, tmp_path):
    first, second = keys[0][1].decode(), keys[1][1].decode()
    # As users paste them: without the final newline (lookup('file') strips it), with blank lines after.
    objects = render(dify_plugin_trusted_public_keys=[first.rstrip("\n"), second + "\n\n"])
    pod, container, env = daemon(objects)
    assert env["FORCE_VERIFYING_SIGNATURE"] == "true"
    assert env["THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED"] == "true"
    paths = env["THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS"].split(",")
    data = objects[("ConfigMap", "dify-plugin-trusted-keys")]["data"]
    # The environment lists the operator's keys in the operator's order, each the file of the
    # ConfigMap that holds it. (The ConfigMap's own key order is not the role's: the tests read
    # the rendering through ansible.posix's json callback, which sorts keys, and the file names
    # are digests of random keys, so comparing orders passed or failed by chance.)
    assert len(paths) == 2 == len(data) and all(p.rsplit("/", 1)[0] == MOUNT for p in paths)
    assert sorted(p.rsplit("/", 1)[1] for p in paths) == sorted(data)
    # Every file is exactly one PEM block with one newline after it: what LoadPublicKey accepts.
    assert [data[p.rsplit("/", 1)[1]] for p in paths] == [first, second]
    for pem in data.values():
        key = serialization.load_pem_public_key(pem.encode())
        assert key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode() == pem
    # Mounted read-only, from the ConfigMap the role renders.
    assert {"name": "trusted-keys", "mountPath": MOUNT, "readOnly": True} in container["volumeMounts"]
    assert {"name": "trusted-keys", "configMap": {"name": "dify-plugin-trusted-keys"}} in pod["volumes"]

    # A package the operator signed verifies with the rendered files (the daemon's algorithm, difypkg).
    package = difypkg.sign(difypkg.pack(str(REPO / "tests" / "fixtures" / "dify-plugin" / "airgap_echo")), keys[1][0])
    difypkg.verify(package, [pem.encode() for pem in data.values()])


def test_a_changed_key_renames_its_file_so_the_daemon_rolls_out(keys):
    one = daemon(render(dify_plugin_trusted_public_keys=[keys[0][1].decode()]))[2]
    other = daemon(render(dify_plugin_trusted_public_keys=[keys[1][1].decode()]))[2]
    assert one["THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS"] != other["THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS"]


def input_errors(cases):
    """The role's input rules (__dify_input_errors) for each case, in one ansible-playbook run."""
    tasks = [{"name": "load %s" % path.name, "ansible.builtin.include_vars": {"file": str(path)}}
             for path in (PLATFORM_DEFAULTS, PLATFORM_VARS, DIFY / "defaults" / "main.yml", DIFY / "vars" / "main.yml")]
    tasks.append({"name": "base", "ansible.builtin.set_fact": BASE})
    for name, values in cases.items():
        values = dict({"dify_plugin_trusted_public_keys": [], "dify_plugin_signature_verification": True,
                       "dify_extra_env": {}}, **values)
        tasks += [{"name": "set " + name, "ansible.builtin.set_fact": values},
                  {"name": name, "ansible.builtin.debug": {"msg": "{{ __dify_input_errors }}"}}]
    run = run_tasks(tasks)
    out = {}
    for name in cases:
        result = run.result(name)
        assert not result.get("failed"), result.get("msg")
        out[name] = result["msg"]
    return out


def test_malformed_keys_and_verification_off_are_refused_naming_the_variable(keys):
    good = keys[0][1].decode()
    private = keys[0][0].decode()
    spki = serialization.load_pem_public_key(keys[0][1]).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    errors = input_errors({
        "good": {"dify_plugin_trusted_public_keys": [good, good.replace("\n", "\r\n")]},
        "spki": {"dify_plugin_trusted_public_keys": [good, spki]},
        "private": {"dify_plugin_trusted_public_keys": [private]},
        "two blocks in one entry": {"dify_plugin_trusted_public_keys": [good + good]},
        "not base64": {"dify_plugin_trusted_public_keys": [good.replace("MII", "MI*", 1)]},
        "a path instead of the content": {"dify_plugin_trusted_public_keys": ["/etc/airgap/dify-plugin-signing.pub"]},
        "verification off": {"dify_plugin_signature_verification": False},
        "verification off through the extra env": {"dify_extra_env": {"FORCE_VERIFYING_SIGNATURE": "false",
                                                                      "MAIL_TYPE": "smtp"}},
    })
    assert errors["good"] == []
    [spki_error] = errors["spki"]
    assert spki_error.startswith("dify_plugin_trusted_public_keys: entry 2 is not one PEM \"RSA PUBLIC KEY\"")
    assert "-RSAPublicKey_out" in spki_error
    [private_error] = errors["private"]
    assert private_error.startswith("dify_plugin_trusted_public_keys: entry 1 ") and "public half only" in private_error
    # The message names the variable and the position, never the value.
    assert "PRIVATE KEY-----" not in private_error and private.splitlines()[1] not in private_error
    for case in ("two blocks in one entry", "not base64", "a path instead of the content"):
        [error] = errors[case]
        assert error.startswith("dify_plugin_trusted_public_keys: entry 1 is not"), (case, error)
    [off] = errors["verification off"]
    assert off.startswith("dify_plugin_signature_verification is false: this role never turns plugin signature "
                          "verification off")
    [extra] = errors["verification off through the extra env"]
    assert extra.startswith("dify_extra_env sets FORCE_VERIFYING_SIGNATURE:") and "MAIL_TYPE" not in extra


def test_every_new_variable_is_in_the_defaults_and_the_argument_spec():
    import yaml

    defaults = yaml.safe_load((DIFY / "defaults" / "main.yml").read_text())
    spec = yaml.safe_load((DIFY / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    for name, value in (("dify_plugin_trusted_public_keys", []), ("dify_plugin_signature_verification", True)):
        assert defaults[name] == value and spec[name]["default"] == value
