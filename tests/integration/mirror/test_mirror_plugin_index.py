"""The in-cluster read-only plugin index (roles/mirror tasks_from: plugin_index): rendered, then admitted.

Rendered only (the role does not apply it); the local control plane's API server then admits the
objects with a server-side dry run, and the Deployment's pod and the loader pod as Pods in a
namespace that enforces Pod Security ``restricted`` (the level the platform's namespaces enforce).
The server is the release manifest's static web server (static_web, hack/images/static-web) with
the volume read-only; only the loader writes it.
"""

import json
import os
import subprocess
import uuid

import yaml

from helpers.cluster import ensure_local_cluster
from helpers.paths import REPO
from helpers.playbook import run_tasks

REGISTRY = "harbor.example.internal"


def render(tmp_path, **variables):
    dest, loader = tmp_path / "plugin-index.yml", tmp_path / "plugin-index-loader.yml"
    task = {"name": "plugin index", "ansible.builtin.include_role": {"name": "airgap.dify_platform.mirror", "tasks_from": "plugin_index"},
            "vars": dict({"mirror_plugin_index_dest": str(dest), "mirror_plugin_index_loader_dest": str(loader),
                          "mirror_registry": REGISTRY, "mirror_project": "dify-platform"}, **variables)}
    run = run_tasks([task])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return [d for d in yaml.safe_load_all(dest.read_text()) if d] + [d for d in yaml.safe_load_all(loader.read_text()) if d]


def test_rendered_from_the_static_web_image_and_admitted_as_restricted(tmp_path):
    namespace = "helperf-plugin-index-%s" % uuid.uuid4().hex[:6]
    objects = render(tmp_path, mirror_plugin_index_namespace=namespace)
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert kinds == {("PersistentVolumeClaim", "dify-plugin-index"), ("Deployment", "dify-plugin-index"),
                     ("Service", "dify-plugin-index"), ("NetworkPolicy", "dify-plugin-index"),
                     ("NetworkPolicy", "dify-plugin-index-clients"), ("Pod", "dify-plugin-index-loader")}
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    web = manifest["images"]["static_web"]
    image = "%s/dify-platform/%s@%s" % (REGISTRY, web["repository"].split("/", 1)[1], web["digest"])
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["image"] == image and "command" not in container  # the image's own nginx on 8080
    assert {"name": "files", "mountPath": "/srv/www", "readOnly": True} in container["volumeMounts"]
    assert next(v for v in spec["volumes"] if v["name"] == "files")["persistentVolumeClaim"]["readOnly"] is True
    assert "runAsUser" not in spec["securityContext"]  # the image's numeric non-root USER
    loader = next(o for o in objects if o["kind"] == "Pod")
    assert loader["spec"]["containers"][0]["image"] == image
    assert "readOnly" not in loader["spec"]["containers"][0]["volumeMounts"][0]
    policy = next(o for o in objects if o["metadata"]["name"] == "dify-plugin-index" and o["kind"] == "NetworkPolicy")
    assert policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "dify-plugin-daemon"}
    assert policy["spec"]["egress"] == []
    clients = next(o for o in objects if o["metadata"]["name"] == "dify-plugin-index-clients")
    assert clients["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "dify-plugin-daemon"}
    assert clients["spec"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 8080}]

    kubeconfig = ensure_local_cluster()
    env = dict(os.environ, KUBECONFIG=kubeconfig)

    def kubectl(*args, stdin=None):
        return subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, env=env, check=False)

    made = kubectl("create", "namespace", namespace)
    assert made.returncode == 0, made.stderr
    try:
        assert kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted").returncode == 0
        applied = kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        assert applied.returncode == 0, applied.stderr
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "index-probe", "namespace": namespace},
               "spec": deployment["spec"]["template"]["spec"]}
        admitted = kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(pod))
        assert admitted.returncode == 0, admitted.stderr
        admitted = kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(loader))
        assert admitted.returncode == 0, admitted.stderr
        # The check can fail: the same pod without its security context is refused.
        loose = json.loads(json.dumps(pod))
        del loose["spec"]["containers"][0]["securityContext"]
        refused = kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(loose))
        assert refused.returncode != 0 and "restricted" in refused.stderr, refused.stderr
    finally:
        kubectl("delete", "namespace", namespace, "--wait=false")
