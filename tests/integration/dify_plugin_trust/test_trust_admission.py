"""The trusted keys on a real API server: admitted, read back, and loadable by the daemon's Go calls (issue 20 item 4).

On the local control plane (hack/localcluster: a real kube-apiserver, Pod Security ``restricted``),
in a namespace of its own: the dify role's ConfigMap dify-plugin-trusted-keys is server-side applied
and read back, the plugin daemon's Deployment and a pod of its template are admitted (server dry
run), and a second apply changes nothing. The files the daemon would read (the ConfigMap's data at
the paths of THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS) are then loaded by loadkey/main.go,
which makes the Go standard library calls the daemon makes (pem.Decode, nothing after the block,
x509.ParsePKCS1PublicKey). A key with a blank line after it, as pasted, would be refused there:
that is why the role writes each with exactly one newline.
"""

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE
from helpers.role_render import render_role_objects

KUBECTL = str(CACHE / "bin" / "kubectl")
MOUNT = "/etc/dify-plugin-daemon/trusted-keys"
DIGEST = "@sha256:" + "c" * 64
BASE = {
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
LOADKEY = Path(__file__).resolve().parent / "loadkey" / "main.go"


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


def kubectl(kubeconfig, *args, data=None):
    proc = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture()
def namespace(kubeconfig):
    name = "plugin-trust-%s" % uuid.uuid4().hex[:8]
    kubectl(kubeconfig, "create", "namespace", name)
    yield name
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def loadkey(tmp_path_factory):
    go = shutil.which("go")
    if go is None:
        pytest.skip("no Go toolchain (the local control plane's build needs one too)")
    binary = tmp_path_factory.mktemp("loadkey") / "loadkey"
    subprocess.run([go, "build", "-o", str(binary), str(LOADKEY)], check=True, capture_output=True, timeout=1800,
                   cwd=str(LOADKEY.parent))
    return str(binary)


def test_the_keys_are_admitted_read_back_and_loadable_by_the_daemons_calls(kubeconfig, namespace, loadkey, tmp_path):
    keys = [difypkg.generate_key(bits=2048)[1].decode() for dummy in range(2)]
    objects = render_role_objects("dify", ("config.yml.j2", "workloads.yml.j2"), dict(
        BASE, dify_platform_namespace=namespace,
        dify_plugin_trusted_public_keys=[keys[0].rstrip("\n"), keys[1] + "\n\n"]))
    config_map = objects[("ConfigMap", "dify-plugin-trusted-keys")]
    daemon = objects[("Deployment", "dify-plugin-daemon")]
    apply = ("apply", "--server-side", "--field-manager=dify-platform", "-f", "-")
    kubectl(kubeconfig, *apply, data=yaml.safe_dump(config_map))
    first = json.loads(kubectl(kubeconfig, "get", "-n", namespace, "configmap", "dify-plugin-trusted-keys", "-o", "json"))
    kubectl(kubeconfig, *apply, data=yaml.safe_dump(config_map))
    again = json.loads(kubectl(kubeconfig, "get", "-n", namespace, "configmap", "dify-plugin-trusted-keys", "-o", "json"))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]

    # The Deployment, and a pod of its template under Pod Security restricted (server dry run: nothing starts).
    kubectl(kubeconfig, *apply[:-2], "--dry-run=server", "-f", "-", data=yaml.safe_dump(daemon))
    template = daemon["spec"]["template"]
    metadata = {"name": "dify-plugin-daemon-check", "namespace": namespace, "labels": template["metadata"]["labels"]}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
           "spec": template["spec"]}
    kubectl(kubeconfig, "create", "serviceaccount", "-n", namespace, template["spec"]["serviceAccountName"])
    kubectl(kubeconfig, "create", "--dry-run=server", "-f", "-", data=yaml.safe_dump(pod))

    # The files as the kubelet writes them from the ConfigMap, at the paths the daemon is given.
    [container] = template["spec"]["containers"]
    env = dict((item["name"], item.get("value")) for item in container["env"])
    paths = env["THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS"].split(",")
    local = []
    for path in paths:
        assert path.startswith(MOUNT + "/")
        name = path[len(MOUNT) + 1:]
        (tmp_path / name).write_text(first["data"][name])
        local.append(str(tmp_path / name))
    # A control: the second key as pasted, with a blank line after it.
    (tmp_path / "as-pasted.pem").write_text(keys[1] + "\n")
    pasted = str(tmp_path / "as-pasted.pem")
    out = subprocess.run([loadkey, ",".join([*local, pasted])], capture_output=True,
                         text=True, check=True, timeout=60).stdout.splitlines()
    assert out == ["%s ok" % path for path in local] + ["%s refused: data after the PEM block" % pasted]
