"""The backup and restore drill on kind, with the real operator and the real Barman Cloud Plugin (issue 19).

Real here: CloudNativePG 1.30.1 and the Barman Cloud Plugin 0.15.0 (operator and sidecar, barman-cloud 3.19.1 from
PyPI), both built here (hack/images); SeaweedFS S3 as a pod with TLS from a test CA; PostgreSQL 17; Redis; LiteLLM
1.104.2 (hack/images/litellm); the platform's own playbooks (site.yml, backup.yml, restore.yml) and roles.
Stand-ins: Dify's pods (hack/images/standin: they answer health paths and mount the file storage, they run no
Dify), so Dify's data is written by this test: a workspace key pair made and used with Dify's own algorithm
(roles/restore/files/dify_credentials.py), its private key in the file storage where Dify keeps it, and the
rows of Dify's tables (tenants, apps, provider_credentials, with Dify's names and columns) in the dify database.
The DSL exports come from the fake console (tests/fakes/dify_console) seeded with the same app.

The drill: converge the source namespace; seed rows, Dify's data and a LiteLLM key; backup.yml takes the set
(an on-demand plugin Backup waited for); rows written after it; restore.yml into an empty namespace (CNPG
recovery from the object store to the end of the WAL, the Secrets, the converge, Dify's files through k8s_cp, the
checks); then every part is compared. Each step is timed into tests/output/backup-kind-drill.json.

Run by `make backup-kind-drill` only (AIRGAP_BACKUP_KIND_DRILL=1, conftest.py): it needs its own kind cluster and
costs far more than a `make test` phase may (docs/backup-restore.md gives the figure).
"""

import base64
import hashlib
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fakes.dify_console import FakeDifyConsole
from helpers.paths import CACHE, REPO
from helpers.playbook import run_tasks
from kind_drill import CLUSTER, SCRIPT, Kind, Timings, failure, playbook, prepare

SPEC = importlib.util.spec_from_file_location("dify_credentials", REPO / "roles" / "restore" / "files" / "dify_credentials.py")
dify_credentials = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dify_credentials)

# BACKUP_KIND_DRILL_SOURCE=<namespace>: the source is a platform converged already on the cluster (molecule kind's,
# molecule/kind/tasks/verify_drill.yml), from the inventories BACKUP_KIND_DRILL_INVENTORY (":"-separated), whose
# postgres_backup names the drill's store (hack/kind/drill-backup.sh plugin s3). The drill then converges nothing
# there, leaves it serving (no scale-down), restores only the waves its checks read into <namespace>-restored, and
# deletes that namespace at the end. Unset: the standalone drill (its own source, drill-src).
EXISTING = os.environ.get("BACKUP_KIND_DRILL_SOURCE", "")
SOURCE, TARGET = (EXISTING, EXISTING + "-restored") if EXISTING else ("drill-src", "drill-dst")
# The waves the checks read: the Cluster, Dify's storage and pods, LiteLLM (and what they need).
RESTORED_COMPONENTS = ["foundation", "postgres", "redis", "dify", "litellm"]
FILES_MB = int(os.environ.get("BACKUP_KIND_DRILL_FILES_MB", "64"))
ROWS = int(os.environ.get("BACKUP_KIND_DRILL_ROWS", "400000"))
OUTPUT = REPO / "tests" / "output" / "backup-kind-drill.json"
EMAIL, PASSWORD = "admin@example.com", "Adm1n-S3cret-Pw"
APP = """\
app:
  name: faq-chat
  mode: chat
  description: answers FAQs
kind: app
version: 0.6.0
model_config:
  pre_prompt: You answer questions about the product.
"""
STANDIN = CACHE / "harbor-standin"
# Each run archives under its own path: barman-cloud refuses to archive into a server that holds WAL already, and
# the store outlives a run.
RUN = os.environ.get("BACKUP_KIND_DRILL_RUN") or time.strftime("%Y%m%dT%H%M%S", time.gmtime())
# BACKUP_KIND_DRILL_RESUME=1: the cluster is prepared and the source namespace converged from the same RUN
# (a run resumed after a failure): neither is done again.
RESUME = os.environ.get("BACKUP_KIND_DRILL_RESUME") == "1"
PLUGIN_SECRETS = ("barman-cloud-server-tls", "barman-cloud-client-tls")  # roles/postgres/vars/main.yml
SET = "set-drill-" + time.strftime("%H%M%S", time.gmtime())  # the on-demand Backup is named after the set


def inventory(tmp_path, namespace, facts):
    """inventories/local plus the kind settings (molecule/kind/host_vars) and the object store, as group_vars."""
    overlay = tmp_path / ("inventory-" + namespace)
    (overlay / "group_vars").mkdir(parents=True, exist_ok=True)
    (overlay / "hosts.yml").write_text((REPO / "inventories" / "local" / "hosts.yml").read_text())
    robot = json.loads((STANDIN / "robot.json").read_text())
    (overlay / "group_vars" / "dify_platform.yml").write_text(yaml.safe_dump({
        "dify_platform_namespace": namespace,
        "dify_platform_components": ["foundation", "postgres", "redis", "dify", "litellm"],
        "dify_platform_size": "small", "dify_platform_openshift": False,
        "dify_platform_storage_class": "airgap-local", "dify_platform_wait_timeout": 900,
        "redis_exporter_enabled": False, "postgres_instances": 1,
        "foundation_postgres_operator_namespace": "cnpg-system",
        "foundation_ingress_namespace_labels": {"kubernetes.io/metadata.name": "ingress-nginx"},
        "dify_platform_registry": facts["standin"]["registry"], "dify_platform_registry_project": "dify-platform",
        "dify_platform_registry_username": robot["username"], "dify_platform_registry_password": robot["password"],
        "dify_platform_release_manifest": str(STANDIN / "release-manifest.yml"),
        "dify_platform_ca_bundle_pem": (STANDIN / "ca" / "ca.crt").read_text(),
        "postgres_backup": {"destination_path": "s3://dify-platform-backups/drill-" + RUN,
                            "endpoint_url": facts["s3_endpoint"], "credentials_secret": "dify-platform-backup-s3"},
        "postgres_backup_ca_pem": Path(facts["s3_ca"]).read_text(),
        # The plugin's TLS pairs are the role's to keep (made by drill-backup.sh with the same code): every
        # converge reads them and, far from their end, changes nothing.
        "postgres_barman_plugin_tls_manage": True}))
    overlay.chmod(0o700)
    return [REPO / "inventories" / "local", overlay]


def s3_secret(kind, namespace, facts):
    """The object store's credentials: the user's Secret (not generated, so not in the set), made in each namespace by
    drill-backup.sh secret (the namespace made if missing), as molecule kind's prepare makes it in the platform's."""
    proc = subprocess.run([str(SCRIPT), "secret", namespace], capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, AIRGAP_KIND_CLUSTER=CLUSTER, AIRGAP_KIND_KUBECONFIG=kind.kubeconfig,
                                   PYTHON=sys.executable))
    assert proc.returncode == 0, proc.stderr[-2000:]


def delete_namespaces(kind, *namespaces):
    """Each namespace's workloads first, their pods waited for, then the namespaces. CloudNativePG's instance pods have
    terminationGracePeriodSeconds 1800 (the Cluster's stopDelay), and the namespace controller, when it finds a pod
    still terminating, looks at the namespace again only after that estimate: on kind the restored namespace stayed
    Terminating with its Deployments and StatefulSets for over 5 minutes (kubectl's 900 s timeout would have failed the
    drill), though its pods were gone in seconds. With no pod left it empties the namespace in one pass."""
    for namespace in namespaces:
        kind.kubectl("-n", namespace, "delete", "cluster.postgresql.cnpg.io,deployment,statefulset,job", "--all",
                     "--cascade=foreground", "--wait=true", timeout=600, check=False)
    kind.kubectl("delete", "namespace", *namespaces, "--ignore-not-found", "--wait=true", timeout=900)


def seed_dify(kind, namespace):
    """A workspace as Dify makes it: its key pair (private key in the storage), an app, an encrypted credential."""
    tenant = str(uuid.uuid4())
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    credential = "sk-provider-" + secrets.token_urlsafe(24)
    config = json.dumps({"openai_api_key": dify_credentials.encrypt_token(public, credential),
                         "openai_api_base": "https://llm.example.test/v1"})
    kind.api_exec(namespace, "rm -rf /app/api/storage/privkeys && mkdir -p /app/api/storage/privkeys/%s && "
                  "cat > /app/api/storage/privkeys/%s/private.pem" % (tenant, tenant), data=pem)
    # Dify's tables with Dify's names and the columns read here (api/models/account.py Tenant,
    # api/models/model.py App, api/models/provider.py ProviderCredential); owned by Dify's role.
    kind.psql(namespace, """
        DROP TABLE IF EXISTS tenants, apps, provider_credentials;
        CREATE TABLE IF NOT EXISTS tenants (id uuid PRIMARY KEY, name varchar(255), encrypt_public_key text);
        CREATE TABLE IF NOT EXISTS apps (id uuid PRIMARY KEY, tenant_id uuid, name varchar(255), mode varchar(255));
        CREATE TABLE IF NOT EXISTS provider_credentials (id uuid PRIMARY KEY, tenant_id uuid, provider_name varchar(255),
            credential_name varchar(255), encrypted_config text);
        ALTER TABLE tenants OWNER TO dify; ALTER TABLE apps OWNER TO dify; ALTER TABLE provider_credentials OWNER TO dify;
        INSERT INTO tenants VALUES ('%(t)s', 'drill', '%(pub)s');
        INSERT INTO apps VALUES ('%(a)s', '%(t)s', 'faq-chat', 'chat');
        INSERT INTO provider_credentials VALUES ('%(c)s', '%(t)s', 'openai', 'drill', '%(cfg)s');
        """ % {"t": tenant, "pub": public, "a": uuid.uuid4(), "c": uuid.uuid4(), "cfg": config})  # noqa: S608
    return tenant, credential, pem


def seed_files(kind, namespace):
    """FILES_MB of random files in the storage (8 MB each), for the copy's rate; their SHA-256 sums."""
    count = max(1, FILES_MB // 8)
    kind.api_exec(namespace, "mkdir -p /app/api/storage/upload_files && for i in $(seq 1 %d); do "
                  "head -c 8388608 /dev/urandom > /app/api/storage/upload_files/blob-$i; done" % count, timeout=1800)
    return sums(kind, namespace)


def sums(kind, namespace):
    out = kind.api_exec(namespace, "cd /app/api/storage && find . -type f | sort | xargs sha256sum").stdout
    return dict(reversed(line.split(None, 1)) for line in out.strip().splitlines())


def litellm_key(kind, namespace):
    """A virtual key made through LiteLLM's API with the master key (the Secret's value behind the prefix)."""
    master = "sk-" + kind.secret(namespace, "dify-platform-litellm", "master-key")
    with kind.port_forward(namespace, "svc/litellm", 4000) as url:
        request = urllib.request.Request(  # noqa: S310 (http on loopback)
            url + "/key/generate", data=json.dumps({"key_alias": "drill-" + secrets.token_hex(4)}).encode(),  # aliases are unique
            headers={"Authorization": "Bearer " + master, "Content-Type": "application/json"})
        for _attempt in range(60):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    return json.loads(response.read())["key"]
            except OSError:
                time.sleep(2)
    raise AssertionError("LiteLLM did not make a key")


def key_status(url, key):
    request = urllib.request.Request(url + "/key/info", headers={"Authorization": "Bearer " + key})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def task_seconds(run):
    """Task name -> seconds in an ansible-playbook run (the json callback's task durations; a name run twice adds up)."""
    out = {}
    for play in run.data.get("plays", []):
        for task in play.get("tasks", []):
            span = task["task"].get("duration") or {}
            if span.get("start") and span.get("end"):
                start, end = (time.mktime(time.strptime(span[k][:19], "%Y-%m-%dT%H:%M:%S")) + float("0." + (span[k][20:26] or "0"))
                              for k in ("start", "end"))
                # A role's task is named "<role> : <name>" in the json callback.
                name = task["task"]["name"].split(" : ", 1)[-1]
                out[name] = round(out.get(name, 0.0) + end - start, 1)
    return out


def projection(database_bytes, file_bytes, steps, target=10 * 2**30):
    """The drill's restore for a 10 GiB database and 10 GiB of files at the rates measured here: the recovery and the
    file copy scale with their size, the rest of restore.yml (Secrets, the other waves, checks) is taken as fixed."""
    recovery = steps["restore: PostgreSQL recovery (Cluster created to Ready)"]
    copy = steps["restore: file storage (tar stream into the pod)"]
    if not recovery or not copy:  # a step not found in the run: no rate, rather than a false one
        return {"error": "a restore step was not timed: %s" % steps}
    fixed = steps["restore: whole playbook"] - recovery - copy
    db_rate, file_rate = database_bytes / recovery, file_bytes / copy
    total = fixed + target / db_rate + target / file_rate
    return {"database_restore_mb_per_s": round(db_rate / 2**20, 2), "file_restore_mb_per_s": round(file_rate / 2**20, 2),
            "fixed_s": round(fixed, 1), "projected_10gb_db_10gb_files_s": round(total, 1),
            "projected_minutes": round(total / 60, 1), "under_30_minutes": total < 1800}


@pytest.fixture(scope="module")
def drill():
    timings = Timings()
    with timings.step("prepare (CRDs, images, volumes, CNPG operator, plugin, SeaweedFS)"):
        # An existing platform's cluster is prepared by its own scenario (never the drill's volumes over its own).
        facts = prepare(again=not (RESUME or EXISTING))
    return Kind(facts["kubeconfig"]), facts, timings


def test_backup_then_restore_on_kind(drill, tmp_path):
    kind, facts, timings = drill
    delete_namespaces(kind, *((TARGET, TARGET + "-sandbox") if RESUME or EXISTING else (SOURCE, TARGET)))
    s3_secret(kind, SOURCE, facts)
    source = [Path(p) for p in os.environ["BACKUP_KIND_DRILL_INVENTORY"].split(":")] if EXISTING else \
        inventory(tmp_path, SOURCE, facts)
    # The existing platform's inventory names its own namespace and waves; the restore's are extra vars (they
    # outrank host_vars; postgres_backup stays the inventory's, since restore.yml sets its server name as a fact).
    # One PostgreSQL instance and one api and web pod, as the standalone drill restores: the checks read the primary
    # and one api pod, and a second instance would join by a base backup of its own after the recovery (minutes on
    # kind: docs/molecule-kind.md), on top of molecule kind's own two (its node-loss test is theirs).
    target_vars = {"dify_platform_namespace": TARGET, "dify_platform_components": RESTORED_COMPONENTS,
                   "postgres_instances": 1, "dify_replicas": {"api": 1, "web": 1}} if EXISTING else {}
    # BACKUP_KIND_DRILL_RESTORE_VARS=<YAML file>: more extra vars of the restore only (molecule kind's
    # molecule/kind/vars/drill_restore.yml: lower CPU requests for the restored pods beside every wave).
    if EXISTING and os.environ.get("BACKUP_KIND_DRILL_RESTORE_VARS"):
        target_vars.update(yaml.safe_load(Path(os.environ["BACKUP_KIND_DRILL_RESTORE_VARS"]).read_text()))
    if not RESUME and not EXISTING:
        with timings.step("converge the source platform (site.yml)"):
            run = playbook("site", source, {}, facts["kubeconfig"], tmp_path)
        assert run.returncode == 0, failure(run)

    with timings.step("seed: rows, Dify's workspace, files, a LiteLLM key"):
        rows = "SELECT 'A', g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, %d) g" % ROWS  # noqa: S608
        kind.psql(SOURCE, "DROP TABLE IF EXISTS drill; CREATE TABLE drill (phase text, n int, pad text); INSERT INTO drill " + rows)
        database_bytes = int(kind.psql(SOURCE, "SELECT pg_database_size('dify')"))
        tenant, credential, private_pem = seed_dify(kind, SOURCE)
        files = seed_files(kind, SOURCE)
        key = litellm_key(kind, SOURCE)
    generated = {item["metadata"]["name"]: item.get("data", {}) for item in kind.json(
        "-n", SOURCE, "get", "secret", "-l", "airgap.dify-platform/generated=true")["items"]}

    vault_key = tmp_path / "backup-key"
    vault_key.write_text(secrets.token_urlsafe(24) + "\n")
    vault_key.chmod(0o600)
    dify = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    try:
        dify.seed(APP)
        with timings.step("backup.yml (plugin Backup waited for, Secrets, files, apps)"):
            run = backup_run = playbook("backup", source, {
                "backup_dir": str(tmp_path / "sets"), "backup_set_name": SET,
                "backup_vault_password_file": str(vault_key), "dify_apps_url": dify.url,
                "dify_apps_email": EMAIL, "dify_apps_password": PASSWORD}, facts["kubeconfig"], tmp_path)
    finally:
        dify.stop()
    assert run.returncode == 0, failure(run)
    found = tmp_path / "sets" / SET
    manifest = json.loads((found / "manifest.json").read_text())
    parts = {part["part"]: part for part in manifest["parts"]}
    assert set(parts) == {"postgres", "secrets", "files", "dify-apps"}
    backup = kind.json("-n", SOURCE, "get", "backup.postgresql.cnpg.io", parts["postgres"]["backup"])
    assert backup["status"]["phase"] == "completed" and backup["spec"]["method"] == "plugin", backup["status"]
    assert parts["postgres"]["backup_id"]
    set_files = {p.relative_to(found / "files" / "storage").as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                 for p in (found / "files" / "storage").rglob("*") if p.is_file()}
    # The workspace's private key is not in files/: sealed with the set's key, as the Secrets are.
    assert set_files == {name.removeprefix("./"): digest for name, digest in files.items()
                         if not name.startswith("./privkeys/")}
    assert (found / "sealed" / "storage" / "privkeys" / tenant / "private.pem.vault").read_text().startswith(
        "$ANSIBLE_VAULT;")

    # No clear secret in the set (every generated value, as stored and decoded; the database roles' user names are public).
    values = {}
    for name, data in generated.items():
        for field, stored in data.items():
            if field != "username":
                values[stored] = values[base64.b64decode(stored).decode()] = "%s/%s" % (name, field)
    values[key] = "the LiteLLM key"
    values[credential] = "the Dify credential"
    values.update({line: "the workspace private key" for line in private_pem.splitlines()[1:-1]})
    leaks = sorted({"%s: %s" % (p.relative_to(found), where) for p in found.rglob("*") if p.is_file()
                    for value, where in values.items() if value.encode() in p.read_bytes()})
    assert leaks == []

    # Rows after the backup: restored from the archived WAL (to the end of the WAL).
    # One statement per call: psql 15 and later print every result of a multi-statement -c.
    with timings.step("rows after the set, their WAL archived"):
        kind.psql(SOURCE, "INSERT INTO drill SELECT 'B', g, 'after the base backup' FROM generate_series(1, 1000) g")
        segment = kind.psql(SOURCE, "SELECT pg_walfile_name(pg_switch_wal())")
        for _attempt in range(150):
            if kind.psql(SOURCE, "SELECT coalesce(last_archived_wal, '') >= '%s' FROM pg_stat_archiver" % segment) == "t":  # noqa: S608
                break
            time.sleep(2)
        else:
            raise AssertionError("the plugin did not archive %s within 5 minutes" % segment)

    # The source has served its purpose (a real drill restores onto another cluster): its Deployments and
    # StatefulSets go to 0, since two platforms' CPU requests do not fit on kind's two workers (the restored
    # LiteLLM's migration Job stayed Pending: "Insufficient cpu"). The PostgreSQL Cluster keeps running.
    # On an existing platform (molecule kind's) the source keeps serving: later tests read it.
    if not EXISTING:
        kind.kubectl("-n", SOURCE, "scale", "deployment,statefulset", "--all", "--replicas=0")

    # Restore into an empty namespace. The object store's credentials are the user's (not in the set).
    s3_secret(kind, TARGET, facts)
    target = source if EXISTING else inventory(tmp_path, TARGET, facts)
    with kind.port_forward(TARGET, "svc/litellm", 4000) as litellm_url:
        with timings.step("restore.yml (Secrets, recovery, converge, files, checks)"):
            run = playbook("restore", target, {
                "restore_dir": str(found), "restore_vault_password_file": str(vault_key),
                "restore_check_litellm_url": litellm_url, "restore_check_litellm_key": key, **target_vars},
                facts["kubeconfig"], tmp_path)
        assert run.returncode == 0, failure(run)
        # The check can fail: a key that was never made is refused by the same LiteLLM.
        assert key_status(litellm_url, key) == 200
        assert key_status(litellm_url, "sk-" + secrets.token_urlsafe(24)) in (400, 401, 403)
    assert key not in run.stdout + run.stderr and credential not in run.stdout + run.stderr

    cluster = kind.json("-n", TARGET, "get", "cluster.postgresql.cnpg.io", "dify-platform-pg")
    assert "recovery" in cluster["spec"]["bootstrap"]
    assert kind.psql(TARGET, "SELECT phase || ':' || count(*) FROM drill GROUP BY phase ORDER BY phase") == \
        "A:%d\nB:1000" % ROWS
    assert sums(kind, TARGET) == files
    pem = kind.api_exec(TARGET, "cat /app/api/storage/privkeys/%s/private.pem" % tenant).stdout
    config = json.loads(kind.psql(TARGET, "SELECT encrypted_config FROM provider_credentials WHERE tenant_id = '%s'" % tenant))  # noqa: S608
    assert dify_credentials.decrypt_token(pem, config["openai_api_key"]) == credential
    restored = {item["metadata"]["name"]: item.get("data", {}) for item in kind.json(
        "-n", TARGET, "get", "secret", "-l", "airgap.dify-platform/generated=true")["items"]}
    assert restored == generated

    if EXISTING:  # the platform under test is left as it was (Dify's sandbox has a namespace of its own)
        with timings.step("delete the restored namespaces"):
            delete_namespaces(kind, TARGET, TARGET + "-sandbox")

    prepared = Path(facts["work"]) / "prepare-timings.json"
    file_bytes = sum((found / "files" / "storage" / n).stat().st_size for n in set_files)
    backup_steps, restore_steps = task_seconds(backup_run), task_seconds(run)
    steps = {
        "backup: PostgreSQL (on-demand plugin Backup)": backup_steps.get("Wait for the Backup to end", 0.0),
        "backup: file storage (tar stream out of the pod)": backup_steps.get("Copy the file storage out of the pod (one tar stream)", 0.0),
        "restore: PostgreSQL recovery (Cluster created to Ready)": restore_steps.get("Wave 1: apply PostgreSQL and wait until it is ready", 0.0),
        "restore: file storage (tar stream into the pod)": restore_steps.get("Copy them into the pod (one tar stream)", 0.0),
        "restore: whole playbook": timings["restore.yml (Secrets, recovery, converge, files, checks)"]}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    (OUTPUT.with_name("backup-kind-drill-existing.json") if EXISTING else OUTPUT).write_text(json.dumps({
        "mode": "existing platform %s" % SOURCE if EXISTING else "standalone",
        "timings_s": dict(timings), "steps_s": steps,
        "projection": projection(database_bytes, file_bytes, steps), "database_bytes": database_bytes, "rows": ROWS,
        "files": {"count": len(files), "bytes": file_bytes},
        "backup": {"id": parts["postgres"]["backup_id"], "started": parts["postgres"]["started"],
                   "stopped": parts["postgres"]["stopped"]},
        "prepare_timings_s": json.loads(prepared.read_text()) if prepared.exists() else None}, indent=1))


def plugin_tls(kind, renew_days):
    """The postgres role's TLS task (tasks/barman_plugin_tls.yml) on the drill's cluster; the Secrets' certificates."""
    run = run_tasks([{"name": "tls", "ansible.builtin.include_role": {
        "name": "airgap.dify_platform.postgres", "tasks_from": "barman_plugin_tls.yml"},
        # The role's dependency (dify_platform) checks its own required inputs, unused by this task.
        "vars": {"postgres_barman_plugin_tls_manage": True, "postgres_barman_plugin_namespace": "cnpg-system",
                 "postgres_barman_plugin_tls_renew_days": renew_days, "dify_platform_domain": "apps.drill.test",
                 "dify_platform_registry": "host.containers.internal:5443"}}], extra_env={"K8S_AUTH_KUBECONFIG": kind.kubeconfig})
    assert run.returncode == 0, failure(run)
    return run, {name: kind.secret("cnpg-system", name, "tls.crt") for name in PLUGIN_SECRETS}


@pytest.mark.skipif(bool(EXISTING), reason="the standalone drill's cluster only (it restarts the plugin)")
def test_the_plugin_tls_pairs_are_renewed_near_their_end_and_backups_still_run(drill):
    """Far from the end (30 days of 90 left at most): changed=0. A threshold beyond the pairs' life makes both again,
    restarts the plugin, and the real operator still takes a plugin Backup of the restored Cluster through it."""
    kind, _facts, timings = drill
    _run, before = plugin_tls(kind, 30)
    run, same = plugin_tls(kind, 30)
    assert same == before and run.stats.get("changed", 0) == 0, run.stats
    with timings.step("renew the plugin's TLS pairs and restart it"):
        run, renewed = plugin_tls(kind, 100)
        assert run.stats.get("changed", 0) >= 2, run.stats
        kind.kubectl("-n", "cnpg-system", "rollout", "status", "deployment/barman-cloud", "--timeout=300s", timeout=330)
    assert all(renewed[name] != before[name] for name in PLUGIN_SECRETS)
    name = "after-tls-renewal-" + time.strftime("%H%M%S", time.gmtime())
    with timings.step("a plugin Backup after the renewal"):
        kind.kubectl("-n", TARGET, "apply", "-f", "-", data=json.dumps({
            "apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "metadata": {"name": name, "namespace": TARGET},
            "spec": {"cluster": {"name": "dify-platform-pg"}, "method": "plugin",
                     "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}))
        for _attempt in range(120):
            status = kind.json("-n", TARGET, "get", "backup.postgresql.cnpg.io", name).get("status", {})
            if status.get("phase") in ("completed", "failed"):
                break
            time.sleep(5)
    assert status.get("phase") == "completed", status
    print("[drill] TLS renewal: %s" % json.dumps({k: v for k, v in timings.items() if "renew" in k or "after the" in k}))
