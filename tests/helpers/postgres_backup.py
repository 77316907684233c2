"""The postgres role's backup objects, rendered from its templates, and what barman-cloud makes of them.

:func:`render_postgres` renders roles/postgres (backup.yml.j2, cluster.yml.j2) with a given
``postgres_backup``. :func:`barman_cloud_invocation` turns the rendered object-store configuration into
the environment and the arguments the Barman Cloud Plugin's sidecar gives barman-cloud, ported from
github.com/cloudnative-pg/barman-cloud v0.6.0:

- pkg/credentials/env.go ``EnvSetCloudCredentialsAndCertificates``: ``AWS_CA_BUNDLE`` when ``endpointCA``
  is set; ``envSetCloudCredentials``: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` from the Secret keys;
- pkg/archiver/command.go ``BarmanCloudWalArchiveOptions``: ``--<wal.compression>``, ``--endpoint-url``,
  ``--cloud-provider aws-s3``, then destination path and server name;
- pkg/backup/backup.go ``GetBarmanCloudBackupOptions``: ``--user postgres --name <backup>``,
  ``--<data.compression>``, ``--endpoint-url``, ``--cloud-provider aws-s3``, destination, server;
- pkg/command/commandbuilder.go ``CloudWalRestoreOptions``: ``--endpoint-url``, ``--cloud-provider``,
  destination, server.
"""

from helpers.role_render import render_role_objects

POSTGRES_IMAGE = "harbor.example.test/dify-platform/postgresql:17.6@sha256:" + "0" * 64
NAMESPACE = "ai"


def render_postgres(backup, api_group="postgresql.cnpg.io", ca_pem="", namespace=NAMESPACE, extra=None):
    """{(kind, name): object} of the postgres role with ``postgres_backup=backup``."""
    variables = {"dify_platform_namespace": namespace, "dify_platform_domain": "apps.example.test",
                 "dify_platform_registry": "harbor.example.test", "dify_platform_storage_class": "",
                 "dify_platform_images": {"postgres": POSTGRES_IMAGE}, "dify_platform_ca_bundle_pem": ca_pem,
                 "postgres_api_group": api_group, "postgres_backup": backup}
    variables.update(extra or {})
    return render_role_objects("postgres", ("backup.yml.j2", "cluster.yml.j2"), variables)


def object_store_configuration(objects):
    """The barman object-store configuration the role renders, from the ObjectStore (plugin) or the Cluster."""
    stores = [obj for (kind, _name), obj in objects.items() if kind == "ObjectStore"]
    if stores:
        assert len(stores) == 1, stores
        return stores[0]["spec"]["configuration"]
    [cluster] = [obj for (kind, _name), obj in objects.items() if kind == "Cluster"]
    return cluster["spec"]["backup"]["barmanObjectStore"]


def barman_cloud_invocation(configuration, secrets, ca_file):
    """(env, common options, destination) for barman-cloud from ``configuration``.

    ``secrets`` maps a Secret name to its data (str values); ``ca_file`` is where the sidecar would
    mount the ``endpointCA`` Secret key. Refuses a configuration barman-cloud cannot use as is.
    """
    env = {}
    credentials = configuration["s3Credentials"]
    env["AWS_ACCESS_KEY_ID"] = secrets[credentials["accessKeyId"]["name"]][credentials["accessKeyId"]["key"]]
    env["AWS_SECRET_ACCESS_KEY"] = secrets[credentials["secretAccessKey"]["name"]][credentials["secretAccessKey"]["key"]]
    if configuration.get("endpointCA"):
        ca = configuration["endpointCA"]
        with open(ca_file, "w", encoding="utf-8") as handle:
            handle.write(secrets[ca["name"]][ca["key"]])
        env["AWS_CA_BUNDLE"] = ca_file
    common = []
    if configuration.get("endpointURL"):
        common += ["--endpoint-url", configuration["endpointURL"]]
    common += ["--cloud-provider", "aws-s3"]
    return env, common, configuration["destinationPath"]


def wal_archive_options(configuration):
    """barman-cloud-wal-archive's options before --endpoint-url (compression)."""
    compression = (configuration.get("wal") or {}).get("compression")
    return ["--%s" % compression] if compression else []


def backup_options(configuration, name):
    """barman-cloud-backup's options before --endpoint-url (pkg/backup/backup.go GetDataConfiguration)."""
    options = ["--user", "postgres", "--name", name]
    data = configuration.get("data") or {}
    if data.get("compression"):
        options.append("--%s" % data["compression"])
    if data.get("immediateCheckpoint"):
        options.append("--immediate-checkpoint")
    if data.get("jobs") is not None:
        options += ["--jobs", str(data["jobs"])]
    return options
