"""Backup and restore for real: Debian's PostgreSQL, barman-cloud from PyPI, SeaweedFS S3 with TLS (issue 19).

What the Barman Cloud Plugin's sidecar does in a CloudNativePG instance pod, done here with the same tools
on this host, configured with exactly the object-store settings the postgres role renders:

- the S3 endpoint: SeaweedFS (`weed server -s3`, built from its Go module by hack/tools/seaweedfs.sh),
  HTTPS with a certificate from a test CA;
- the role is rendered with ``postgres_backup`` naming that endpoint, a destination path and a credentials
  Secret, and the test CA as ``postgres_backup_ca_pem``; the ObjectStore's ``spec.configuration`` and the CA
  Secret the role renders become barman-cloud's arguments and environment the way the plugin builds them
  (tests/helpers/postgres_backup.py, ported from github.com/cloudnative-pg/barman-cloud v0.6.0);
- barman-cloud (barman[cloud], hack/tools/barman-cloud.sh) archives the WAL (``archive_command``) and takes
  the base backup; barman-cloud-restore and barman-cloud-wal-restore (``restore_command``) restore it.

The drill: rows of phase A, a base backup, rows of phase B, a point in time, rows of phase C; a restore to the
end of the WAL has A, B and C; a restore to the point in time has A and B only. Then a pgbench database
(``BACKUP_DRILL_PGBENCH_SCALE``, default 68, about 1 GB) is backed up and restored, and the rates are
written to tests/output/backup-drill.json.

Nothing is skipped: a missing tool fails the test (the tools are built or installed by the scripts above).
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness.registry.registry import TestCA
from helpers.paths import CACHE, REPO
from helpers.pg_drill import Instance, postgres_bindir
from helpers.postgres_backup import (backup_options, barman_cloud_invocation, object_store_configuration,
                                     render_postgres, wal_archive_options)
from helpers.seaweedfs_s3 import SeaweedS3, free_port

SERVER = "dify-platform-pg"  # the Cluster's name: the plugin's serverName when the role sets none
SCALE = int(os.environ.get("BACKUP_DRILL_PGBENCH_SCALE", "68"))
OUTPUT = REPO / "tests" / "output" / "backup-drill.json"


def barman_bin():
    proc = subprocess.run([str(REPO / "hack" / "tools" / "barman-cloud.sh")], capture_output=True, text=True,
                          timeout=3600, check=False, env=dict(os.environ, AIRGAP_CACHE=str(CACHE)))
    if proc.returncode != 0:
        raise RuntimeError("hack/tools/barman-cloud.sh failed:\n" + proc.stderr[-3000:])
    return Path(proc.stdout.strip().splitlines()[-1])


class Drill:
    """The tools, the S3 endpoint, and barman-cloud configured from the role's rendering."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.bindir = postgres_bindir()
        self.barman = barman_bin()
        self.ca = TestCA(self.workdir / "ca", name="airgap backup drill CA")
        self.s3 = SeaweedS3(self.workdir / "s3", self.ca).start()
        backup = {"destination_path": "s3://dify-platform-backups/postgres", "endpoint_url": self.s3.endpoint,
                  "credentials_secret": "dify-platform-backup-s3"}
        objects = render_postgres(backup, ca_pem=self.ca.cert_path.read_text())
        self.configuration = object_store_configuration(objects)
        secrets = {"dify-platform-backup-s3": {"ACCESS_KEY_ID": self.s3.access_key,
                                               "ACCESS_SECRET_KEY": self.s3.secret_key}}
        for (kind, name), obj in objects.items():
            if kind == "Secret":
                secrets[name] = obj["stringData"]
        self.env, self.common, self.destination = barman_cloud_invocation(
            self.configuration, secrets, str(self.workdir / "endpoint-ca.crt"))
        self.instances = []

    def instance(self, name):
        instance = Instance(self.bindir, self.workdir, name, free_port())
        self.instances.append(instance)
        return instance

    def tool(self, name):
        return str(self.barman / name)

    def archive_command(self):
        return " ".join([self.tool("barman-cloud-wal-archive"), *wal_archive_options(self.configuration),
                         *self.common, self.destination, SERVER, "%p"])

    def restore_command(self):
        return " ".join([self.tool("barman-cloud-wal-restore"), *self.common, self.destination, SERVER, "%f", "%p"])

    def primary(self, name):
        pg = self.instance(name)
        pg.initdb()
        pg.configure({"wal_level": "replica", "archive_mode": "on", "archive_command": self.archive_command(),
                      "archive_timeout": "0", "max_wal_size": "2GB", "fsync": "off", "full_page_writes": "on"})
        pg.start(env=self.env)
        return pg

    def base_backup(self, pg, name):
        """barman-cloud-backup of ``pg``; returns its duration in seconds."""
        start = time.monotonic()
        pg.run([self.tool("barman-cloud-backup"), *backup_options(self.configuration, name), "--host", str(pg.workdir),
                "--port", str(pg.port), *self.common, self.destination, SERVER], env=self.env)
        return time.monotonic() - start

    def restore(self, name, backup, target_time=None):
        """A new instance restored from ``backup`` and the WAL, promoted; returns (instance, timings)."""
        pg = self.instance(name)
        pg.data.mkdir(mode=0o700)
        pg.chown(pg.data)
        start = time.monotonic()
        pg.run([self.tool("barman-cloud-restore"), *self.common, self.destination, SERVER, backup, str(pg.data)],
               env=self.env)
        fetched = time.monotonic() - start
        fetched_bytes = pg.size()  # the base backup as restored, before any WAL
        settings = {"restore_command": self.restore_command(), "archive_mode": "off", "recovery_target_action": "promote"}
        if target_time:
            settings["recovery_target_time"] = target_time
        pg.configure(settings)
        (pg.data / "recovery.signal").touch()
        pg.chown(pg.data / "recovery.signal")
        pg.start(env=self.env)
        replayed = pg.wait_promoted()
        return pg, {"fetched_bytes": fetched_bytes, "fetch_seconds": round(fetched, 1),
                    "total_seconds": round(time.monotonic() - start, 1),
                    "replay_seconds_after_start": round(replayed, 1)}

    def close(self):
        for pg in self.instances:
            pg.stop(mode="immediate")
        self.s3.stop()


@pytest.fixture(scope="module")
def drill():
    workdir = Path(tempfile.mkdtemp(prefix="backup-drill-"))
    if os.geteuid() == 0:
        shutil.chown(str(workdir), user="postgres", group="postgres")
    drill = Drill(workdir)
    # The CA file barman-cloud reads (the sidecar's mounted endpointCA) must be readable by the server's user.
    if os.geteuid() == 0:
        shutil.chown(str(workdir / "endpoint-ca.crt"), user="postgres", group="postgres")
    yield drill
    drill.close()
    shutil.rmtree(str(workdir), ignore_errors=True)


def phases(pg):
    return dict(row.split("|") for row in pg.psql("SELECT phase, count(*) FROM drill GROUP BY phase ORDER BY phase"))


def switch_and_wait(pg):
    wal = pg.psql("SELECT pg_walfile_name(pg_switch_wal())")[0]
    pg.wait_archived(wal)


def test_the_role_settings_reach_barman_cloud(drill):
    """The settings come from the rendering: endpoint, path, credentials and the CA Secret."""
    assert drill.configuration["endpointURL"] == drill.s3.endpoint
    assert drill.configuration["endpointCA"] == {"name": "dify-platform-pg-backup-ca", "key": "ca.crt"}
    assert drill.env["AWS_CA_BUNDLE"].endswith("endpoint-ca.crt")
    assert drill.common == ["--endpoint-url", drill.s3.endpoint, "--cloud-provider", "aws-s3"]


def test_without_the_ca_barman_cloud_cannot_reach_the_store(drill):
    """The TLS is real: without the role's CA Secret, barman-cloud-check-wal-archive fails on the certificate."""
    env = dict(drill.env)
    env.pop("AWS_CA_BUNDLE")
    proc = subprocess.run([drill.tool("barman-cloud-check-wal-archive"), *drill.common, drill.destination, "no-such-server"],
                          env=dict(os.environ, **env), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in proc.stderr + proc.stdout, proc.stderr[-2000:]


def test_base_backup_wal_and_point_in_time_restore(drill):
    pg = drill.primary("primary")
    pg.psql("CREATE TABLE drill (id bigserial PRIMARY KEY, phase text NOT NULL, at timestamptz DEFAULT now())")
    pg.psql("INSERT INTO drill (phase) SELECT 'A' FROM generate_series(1, 1000)")
    drill.base_backup(pg, "drill-base")
    pg.psql("INSERT INTO drill (phase) SELECT 'B' FROM generate_series(1, 500)")
    time.sleep(1.5)
    target = pg.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")[0]
    time.sleep(1.5)
    pg.psql("INSERT INTO drill (phase) SELECT 'C' FROM generate_series(1, 250)")
    switch_and_wait(pg)
    assert phases(pg) == {"A": "1000", "B": "500", "C": "250"}

    latest = drill.restore("latest", "drill-base")[0]
    assert phases(latest) == {"A": "1000", "B": "500", "C": "250"}
    latest.stop()

    earlier = drill.restore("pitr", "drill-base", target_time=target)[0]
    assert phases(earlier) == {"A": "1000", "B": "500"}
    earlier.stop()
    pg.stop()


def test_a_pgbench_database_is_restored_and_timed(drill):
    pg = drill.primary("bench")
    pg.psql("CREATE DATABASE bench")
    start = time.monotonic()
    pg.run([str(drill.bindir / "pgbench"), "-i", "-q", "-s", str(SCALE), "-h", str(pg.workdir), "-p", str(pg.port),
            "-U", "postgres", "bench"], timeout=7200)
    load = time.monotonic() - start
    database_bytes = int(pg.psql("SELECT pg_database_size('bench')")[0])
    switch_and_wait(pg)
    backup_seconds = drill.base_backup(pg, "bench-base")
    pg.psql("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, 42, now())", database="bench")
    switch_and_wait(pg)
    pg.stop()

    restored, timings = drill.restore("bench-restored", "bench-base")
    accounts = restored.psql("SELECT count(*) FROM pgbench_accounts", database="bench")[0]
    history = restored.psql("SELECT count(*) FROM pgbench_history WHERE delta = 42", database="bench")[0]
    assert (accounts, history) == (str(SCALE * 100000), "1")
    restored.stop()
    # Rates over the base backup's bytes (the data directory without pg_wal, as barman-cloud copies it).
    base = timings["fetched_bytes"]
    result = {"pgbench_scale": SCALE, "database_bytes": database_bytes, "base_backup_bytes": base,
              "load_seconds": round(load, 1), "backup_seconds": round(backup_seconds, 1),
              "backup_mb_per_s": round(base / 1e6 / backup_seconds, 1),
              "restore": timings, "restore_fetch_mb_per_s": round(base / 1e6 / timings["fetch_seconds"], 1),
              "restore_mb_per_s": round(base / 1e6 / timings["total_seconds"], 1),
              "postgres": drill.bindir.parent.name, "barman": subprocess.run(
                  [drill.tool("barman-cloud-backup"), "--version"], capture_output=True, text=True,
                  check=False).stdout.strip() or "?"}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n")
    print("backup drill:", json.dumps(result))
