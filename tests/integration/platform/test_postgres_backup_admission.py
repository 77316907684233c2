"""The postgres role's backup and recovery objects, admitted by the real CRDs (issue 19).

On the local control plane (a real kube-apiserver with CloudNativePG v1.30.1's CRDs and the Barman Cloud
Plugin v0.15.0's ObjectStore CRD, both from their Go modules through hack/localcluster/crds.sh), in
namespaces of their own: the objects the role renders with ``postgres_backup`` (CA Secret, ObjectStore,
Cluster with the plugin as WAL archiver, ScheduledBackup with ``method: plugin``), an on-demand Backup
through the plugin, and a recovery Cluster (``bootstrap.recovery`` from the ObjectStore to a time) in a
second namespace, all server-side applied and read back. The CRDs' own validation (the ObjectStore's CEL
rule against ``serverName``, its retention pattern, the Backup's method enum) has to pass.
"""

import json
import subprocess
import uuid

import pytest
import yaml

from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE
from helpers.postgres_backup import render_postgres

KUBECTL = str(CACHE / "bin" / "kubectl")
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


def kubectl(kubeconfig, *args, data=None, check=True):
    proc = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=120, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture()
def namespaces(kubeconfig):
    made = []

    def make():
        name = "pgbackup-%s" % uuid.uuid4().hex[:8]
        kubectl(kubeconfig, "create", "namespace", name)
        made.append(name)
        return name

    yield make
    for name in made:
        kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", check=False)


def apply(kubeconfig, objects):
    stream = yaml.safe_dump_all(list(objects))
    kubectl(kubeconfig, "apply", "--server-side", "--field-manager=test", "-f", "-", data=stream)


def get(kubeconfig, obj):
    group = obj["apiVersion"].rpartition("/")[0]
    resource = obj["kind"].lower() + ("." + group if group else "")
    proc = kubectl(kubeconfig, "get", "-n", obj["metadata"]["namespace"], resource, obj["metadata"]["name"], "-o", "json")
    return json.loads(proc.stdout)


BACKUP = {"destination_path": "s3://backups/pg", "endpoint_url": "https://s3.example.test",
          "credentials_secret": "backup-s3", "retention": "30d"}


def admitted(kubeconfig, objects):
    apply(kubeconfig, objects)
    return dict(((obj["kind"], obj["metadata"]["name"]), get(kubeconfig, obj)) for obj in objects)


def test_backup_objects_are_admitted(kubeconfig, namespaces):
    namespace = namespaces()
    objects = list(render_postgres(BACKUP, ca_pem=PEM, namespace=namespace).values())
    kinds = sorted(obj["kind"] for obj in objects)
    assert {"ObjectStore", "Cluster", "ScheduledBackup", "Secret"} <= set(kinds), kinds
    live = admitted(kubeconfig, objects)
    store = live[("ObjectStore", "dify-platform-pg-backup")]
    assert store["spec"]["configuration"]["endpointCA"] == {"name": "dify-platform-pg-backup-ca", "key": "ca.crt"}
    assert store["spec"]["retentionPolicy"] == "30d"
    cluster = live[("Cluster", "dify-platform-pg")]
    assert cluster["spec"]["plugins"][0]["isWALArchiver"] is True
    assert live[("ScheduledBackup", "dify-platform-pg-daily")]["spec"]["method"] == "plugin"
    # The on-demand Backup of a backup set (playbooks/backup.yml), through the plugin.
    backup = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
              "metadata": {"name": "dify-platform-pg-set-1", "namespace": namespace},
              "spec": {"cluster": {"name": "dify-platform-pg"}, "method": "plugin",
                       "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}
    assert admitted(kubeconfig, [backup])[("Backup", "dify-platform-pg-set-1")]["spec"]["method"] == "plugin"


def test_the_crd_refuses_what_the_plugin_forbids(kubeconfig, namespaces):
    """The CRD's own rules are live: a serverName in the ObjectStore and a bad retention are refused."""
    namespace = namespaces()
    [store] = [obj for (kind, _name), obj in render_postgres(BACKUP, namespace=namespace).items() if kind == "ObjectStore"]
    bad = json.loads(json.dumps(store))
    bad["spec"]["configuration"]["serverName"] = "x"
    proc = kubectl(kubeconfig, "apply", "--server-side", "-f", "-", data=yaml.safe_dump(bad), check=False)
    assert proc.returncode != 0 and "serverName" in proc.stderr, proc.stderr
    bad = json.loads(json.dumps(store))
    bad["spec"]["retentionPolicy"] = "14 days"
    proc = kubectl(kubeconfig, "apply", "--server-side", "-f", "-", data=yaml.safe_dump(bad), check=False)
    assert proc.returncode != 0 and "retentionPolicy" in proc.stderr, proc.stderr


def test_a_recovery_cluster_in_a_new_namespace_is_admitted(kubeconfig, namespaces):
    namespace = namespaces()
    objects = list(render_postgres(dict(BACKUP, server_name="dify-platform-pg-r1"), ca_pem=PEM, namespace=namespace,
                                   extra={"postgres_recovery": {"server_name": "dify-platform-pg",
                                                                "target_time": "2026-12-07T10:00:00Z"}}).values())
    live = admitted(kubeconfig, objects)
    cluster = live[("Cluster", "dify-platform-pg")]
    assert cluster["spec"]["bootstrap"]["recovery"]["recoveryTarget"]["targetTime"] == "2026-12-07T10:00:00Z"
    assert cluster["spec"]["externalClusters"][0]["plugin"]["parameters"]["serverName"] == "dify-platform-pg"
