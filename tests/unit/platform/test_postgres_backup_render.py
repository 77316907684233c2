"""The postgres role's backups: CloudNativePG through the Barman Cloud Plugin, EDB in-tree (issue 19).

CloudNativePG deprecates the in-tree ``spec.backup.barmanObjectStore`` since 1.26; the plugin
(github.com/cloudnative-pg/plugin-barman-cloud v0.15.0, web/docs/migration.md) takes an ``ObjectStore``
whose ``spec.configuration`` is the old block, the retention moved to the ObjectStore, a ``plugins`` entry
with ``isWALArchiver`` on the Cluster, and ``method: plugin`` on the ScheduledBackup. ``endpointCA`` is a
Secret key in both (barman-cloud v0.6.0 pkg/api/config.go, ``*machineryapi.SecretKeySelector``): the role
rendered the CA bundle ConfigMap's name there before, which no operator can read.
"""

from helpers.paths import REPO
from helpers.playbook import run_tasks
from helpers.postgres_backup import render_postgres
from helpers.role_render import PLATFORM_VARS

PLUGIN = "barman-cloud.cloudnative-pg.io"
BACKUP = {"destination_path": "s3://backups/pg", "endpoint_url": "https://s3.example.test",
          "credentials_secret": "backup-s3", "schedule": "0 0 3 * * *", "retention": "30d"}
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def by_kind(objects, kind):
    return [obj for (k, _name), obj in objects.items() if k == kind]


def test_cloudnativepg_backs_up_through_the_plugin():
    objects = render_postgres(BACKUP, ca_pem=PEM)
    [cluster] = by_kind(objects, "Cluster")
    [store] = by_kind(objects, "ObjectStore")
    [scheduled] = by_kind(objects, "ScheduledBackup")
    assert "backup" not in cluster["spec"]
    assert cluster["spec"]["plugins"] == [{"name": PLUGIN, "isWALArchiver": True,
                                           "parameters": {"barmanObjectName": store["metadata"]["name"]}}]
    assert store["apiVersion"] == "barmancloud.cnpg.io/v1"
    assert store["metadata"]["namespace"] == cluster["metadata"]["namespace"]
    assert store["spec"]["retentionPolicy"] == "30d"
    assert store["spec"]["configuration"] == {
        "destinationPath": "s3://backups/pg", "endpointURL": "https://s3.example.test",
        "endpointCA": {"name": "dify-platform-pg-backup-ca", "key": "ca.crt"},
        "s3Credentials": {"accessKeyId": {"name": "backup-s3", "key": "ACCESS_KEY_ID"},
                          "secretAccessKey": {"name": "backup-s3", "key": "ACCESS_SECRET_KEY"}},
        "wal": {"compression": "gzip"}, "data": {"immediateCheckpoint": True}}
    assert "serverName" not in store["spec"]["configuration"]
    assert scheduled["spec"]["method"] == "plugin"
    assert scheduled["spec"]["pluginConfiguration"] == {"name": PLUGIN}
    assert scheduled["spec"]["schedule"] == "0 0 3 * * *"
    [ca] = [obj for obj in by_kind(objects, "Secret") if obj["metadata"]["name"] == "dify-platform-pg-backup-ca"]
    assert ca["stringData"] == {"ca.crt": PEM}


def test_a_given_ca_secret_is_used_and_none_is_written():
    objects = render_postgres(dict(BACKUP, ca_secret="my-ca"), ca_pem=PEM)
    [store] = by_kind(objects, "ObjectStore")
    assert store["spec"]["configuration"]["endpointCA"] == {"name": "my-ca", "key": "ca.crt"}
    assert by_kind(objects, "Secret") == []


def test_no_ca_and_no_endpoint_means_no_endpoint_ca():
    objects = render_postgres({"destination_path": "s3://b/p", "credentials_secret": "s"}, ca_pem=PEM)
    [store] = by_kind(objects, "ObjectStore")
    assert "endpointCA" not in store["spec"]["configuration"]
    assert "endpointURL" not in store["spec"]["configuration"]
    assert store["spec"]["retentionPolicy"] == "14d"
    assert by_kind(objects, "Secret") == []


def test_edb_keeps_its_in_tree_object_store_with_a_secret_ca():
    objects = render_postgres(BACKUP, api_group="postgresql.k8s.enterprisedb.io", ca_pem=PEM)
    [cluster] = by_kind(objects, "Cluster")
    assert by_kind(objects, "ObjectStore") == []
    assert "plugins" not in cluster["spec"]
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert cluster["spec"]["backup"]["retentionPolicy"] == "30d"
    assert store["endpointCA"] == {"name": "dify-platform-pg-backup-ca", "key": "ca.crt"}
    [scheduled] = by_kind(objects, "ScheduledBackup")
    assert "method" not in scheduled["spec"]


def test_no_backup_renders_no_backup_object():
    objects = render_postgres(None, ca_pem=PEM)
    [cluster] = by_kind(objects, "Cluster")
    assert "plugins" not in cluster["spec"] and "backup" not in cluster["spec"]
    for kind in ("ObjectStore", "ScheduledBackup", "Secret"):
        assert by_kind(objects, kind) == [], kind


def test_a_recovery_bootstraps_from_the_object_store_to_a_time():
    objects = render_postgres(dict(BACKUP, server_name="dify-platform-pg-r1"), ca_pem=PEM, extra={
        "postgres_recovery": {"server_name": "dify-platform-pg", "target_time": "2026-12-07T10:00:00Z"}})
    [cluster] = by_kind(objects, "Cluster")
    [store] = by_kind(objects, "ObjectStore")
    recovery = cluster["spec"]["bootstrap"]["recovery"]
    assert "initdb" not in cluster["spec"]["bootstrap"]
    assert recovery["recoveryTarget"] == {"targetTime": "2026-12-07T10:00:00Z"}
    assert recovery["database"] == "dify" and recovery["secret"] == {"name": "dify-platform-db-dify"}
    [source] = [c for c in cluster["spec"]["externalClusters"] if c["name"] == recovery["source"]]
    assert source["plugin"] == {"name": PLUGIN, "parameters": {"barmanObjectName": store["metadata"]["name"],
                                                               "serverName": "dify-platform-pg"}}
    # The recovered Cluster archives under a server name of its own.
    assert cluster["spec"]["plugins"][0]["parameters"]["serverName"] == "dify-platform-pg-r1"


def test_a_recovery_to_the_latest_point_has_no_target():
    objects = render_postgres(dict(BACKUP, server_name="r2"), extra={"postgres_recovery": {"server_name": "old"}})
    [cluster] = by_kind(objects, "Cluster")
    assert "recoveryTarget" not in cluster["spec"]["bootstrap"]["recovery"]


def test_a_recovery_into_the_server_it_reads_is_refused_before_any_wave():
    """barman-cloud-wal-archive refuses a server that holds WAL: the recovered Cluster needs a name of its own."""
    rules = "__postgres_input_errors"
    image = "harbor.example.test/p/postgresql:17.6@sha256:" + "0" * 64
    play = run_tasks([
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(REPO / "roles" / "postgres" / "defaults" / "main.yml")}},
        {"name": "role vars", "ansible.builtin.include_vars": {"file": str(REPO / "roles" / "postgres" / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": {
            "postgres_image": image, "postgres_backup": BACKUP, "postgres_recovery": {"server_name": "dify-platform-pg"}}},
        {"name": "same", "ansible.builtin.debug": {"var": rules}},
        {"name": "rename", "ansible.builtin.set_fact": {"postgres_backup": dict(BACKUP, server_name="dify-platform-pg-r1")}},
        {"name": "renamed", "ansible.builtin.debug": {"var": rules}},
        {"name": "no store", "ansible.builtin.set_fact": {"postgres_backup": None}},
        {"name": "nothing", "ansible.builtin.debug": {"var": rules}},
    ])
    [same] = play.result("same")[rules]
    assert same.startswith("postgres_recovery.server_name (dify-platform-pg) must differ"), same
    assert play.result("renamed")[rules] == []
    assert play.result("nothing")[rules] == ["postgres_recovery needs postgres_backup (the object store to recover from)."]
