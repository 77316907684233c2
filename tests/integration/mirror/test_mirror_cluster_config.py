"""The cluster's mirror configuration, rendered by the role and validated by a real API server.

ImageDigestMirrorSet and ImageTagMirrorSet are sent with ``kubectl apply --dry-run=server``
to the local control plane (hack/localcluster), which serves the real OpenShift CRDs
(openshift/api config/v1): the API server validates them against the CRD schema and
stores nothing. The control plane is started when it is down.
"""

import base64
import copy
import json
import os
import subprocess

import yaml

from mirror_support import PULL_SECRET, failure_message, lab  # noqa: F401  # pylint: disable=unused-import

from helpers.paths import CACHE
from helpers.cluster import ensure_local_cluster

CRDS = ("imagedigestmirrorsets.config.openshift.io", "imagetagmirrorsets.config.openshift.io")


def render(lab, tmp_path, **overrides):  # noqa: F811
    manifest = tmp_path / "manifest.yml"
    lab.manifest(manifest)
    data = yaml.safe_load(manifest.read_text())
    data["images"]["multi-oci"]["tag"] = "v1"
    data["images"]["app-oci"]["project"] = "other"
    manifest.write_text(yaml.safe_dump(data))
    dest = tmp_path / "cluster-config.yml"
    values = dict(mirror_registry="harbor.example.internal:8443", mirror_project="dify-mirror",
                  mirror_cluster_config_dest=str(dest), mirror_cluster_namespaces=["dify", "dify-sandbox"],
                  mirror_pull_robot_secret=PULL_SECRET, mirror_cluster_image_config=True)
    values.update(overrides)
    run = lab.run_role("mirror_to_disk", tmp_path / "unused", str(manifest), tasks_from="cluster_config.yml", **values)
    assert run.returncode == 0, failure_message(run) + run.stderr[-2000:]
    objects = [o for o in yaml.safe_load_all(dest.read_text()) if o]
    assert oct(os.stat(str(dest)).st_mode & 0o777) == "0o600"
    return objects


def by_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def test_rendered_objects(lab, tmp_path):  # noqa: F811
    objects = render(lab, tmp_path)
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "Image", "ImageDigestMirrorSet", "ImageTagMirrorSet",
                                                  "Secret", "Secret"]
    idms = by_kind(objects, "ImageDigestMirrorSet")[0]
    src = lab.source.host
    mirrors = dict((m["source"], m["mirrors"]) for m in idms["spec"]["imageDigestMirrors"])
    assert mirrors == {
        "%s/src/app-docker" % src: ["harbor.example.internal:8443/dify-mirror/src/app-docker"],
        "%s/src/app-oci" % src: ["harbor.example.internal:8443/other/src/app-oci"],
        "%s/src/multi-docker" % src: ["harbor.example.internal:8443/dify-mirror/src/multi-docker"],
        "%s/src/multi-oci" % src: ["harbor.example.internal:8443/dify-mirror/src/multi-oci"],
    }
    itms = by_kind(objects, "ImageTagMirrorSet")[0]
    assert [m["source"] for m in itms["spec"]["imageTagMirrors"]] == ["%s/src/multi-oci" % src]
    secrets = by_kind(objects, "Secret")
    assert sorted(s["metadata"]["namespace"] for s in secrets) == ["dify", "dify-sandbox"]
    auth = json.loads(base64.b64decode(secrets[0]["data"][".dockerconfigjson"]))
    entry = auth["auths"]["harbor.example.internal:8443"]
    assert entry["username"] == "robot$airgap-mirror-pull" and entry["password"] == PULL_SECRET
    assert base64.b64decode(entry["auth"]).decode() == "robot$airgap-mirror-pull:" + PULL_SECRET
    ca = by_kind(objects, "ConfigMap")[0]
    assert ca["metadata"]["namespace"] == "openshift-config"
    assert list(ca["data"]) == ["harbor.example.internal..8443"]
    assert ca["data"]["harbor.example.internal..8443"].startswith("-----BEGIN CERTIFICATE-----")
    assert by_kind(objects, "Image")[0]["spec"]["additionalTrustedCA"]["name"] == ca["metadata"]["name"]


def test_no_tag_no_itms_and_no_secret_without_credentials(lab, tmp_path):  # noqa: F811
    manifest = lab.manifest(tmp_path / "plain.yml")
    dest = tmp_path / "out.yml"
    run = lab.run_role("mirror_to_disk", tmp_path / "unused", manifest, tasks_from="cluster_config.yml",
                       mirror_registry="harbor.example.internal", mirror_cluster_config_dest=str(dest), mirror_ca_path="")
    assert run.returncode == 0, failure_message(run)
    kinds = sorted(o["kind"] for o in yaml.safe_load_all(dest.read_text()) if o)
    assert kinds == ["ImageDigestMirrorSet"]


def local_cluster():
    """(kubectl, env) of the local control plane, started if it is down; it must serve the mirror-set CRDs."""
    kubeconfig = ensure_local_cluster()
    kubectl = CACHE / "bin" / "kubectl"
    env = dict(os.environ, KUBECONFIG=kubeconfig)
    for crd in CRDS:
        found = subprocess.run([str(kubectl), "get", "crd", crd], capture_output=True, text=True, env=env, timeout=60,
                               check=False)
        assert found.returncode == 0, "the local control plane does not serve the CRD %s: %s" % (crd, found.stderr)
    return str(kubectl), env


def server_dry_run(cluster, obj, tmp_path, name):
    kubectl, env = cluster
    path = tmp_path / ("%s.yml" % name)
    path.write_text(yaml.safe_dump(obj))
    return subprocess.run([kubectl, "apply", "--dry-run=server", "-f", str(path)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_mirror_sets_are_valid_for_the_real_crds(lab, tmp_path):  # noqa: F811
    cluster = local_cluster()
    objects = render(lab, tmp_path, mirror_cluster_mirror_source_policy="NeverContactSource")
    for obj in by_kind(objects, "ImageDigestMirrorSet") + by_kind(objects, "ImageTagMirrorSet"):
        result = server_dry_run(cluster, obj, tmp_path, obj["kind"])
        assert result.returncode == 0, result.stderr
        assert "(server dry run)" in result.stdout
    # The server really validates: a mirror policy the CRD does not know is refused.
    broken = copy.deepcopy(by_kind(objects, "ImageDigestMirrorSet")[0])
    broken["spec"]["imageDigestMirrors"][0]["mirrorSourcePolicy"] = "SometimesContactSource"
    result = server_dry_run(cluster, broken, tmp_path, "broken")
    assert result.returncode != 0 and "mirrorSourcePolicy" in result.stderr
