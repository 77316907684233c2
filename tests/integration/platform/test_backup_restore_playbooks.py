"""playbooks/backup.yml and playbooks/restore.yml on the local control plane (issue 19).

A source namespace holds what a converged platform holds for the set: the foundation's generated Secrets
(applied create-only by the apply_wave action, as the foundation role does) and the postgres role's objects
with ``postgres_backup`` (ObjectStore, Cluster archiving through the plugin). Dify is the fake console with
apps in it. backup.yml takes a set; every file of it is searched for every generated value (as stored, base64,
and decoded): none is there in the clear. restore.yml then restores the set into a new namespace through the
real site.yml (waves foundation and postgres): the Secrets hold the set's values, the Cluster is created
with ``bootstrap.recovery`` from the set's server, and the converge succeeds.

Dify's file storage is S3 here (``backup_files=s3``): a real SeaweedFS with TLS from a test CA, seeded with a
workspace's private key (``privkeys/<tenant>/private.pem``); the grep covers that part too (the key included),
and the restore writes the objects into a new bucket, compared byte for byte (the S3 part's own cases:
tests/integration/backup_s3).

What kwok cannot do, and where it is done instead: no operator runs here, so the on-demand Backup is created
and admitted but not waited for (``backup_postgres_wait=false``), and no pod runs, so a PVC's storage is
tested on kind; the data path itself (barman-cloud to S3 and back) is test_barman_cloud_drill.py.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.airgap.dify_platform.plugins.module_utils.s3.client import S3Client
from fakes.dify_console import FakeDifyConsole
from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE, COLLECTIONS_ROOT, REPO
from helpers.playbook import ANSIBLE_PLAYBOOK, PlaybookRun, run_tasks
from helpers.postgres_backup import render_postgres
from helpers.seaweedfs_s3 import tls_store

KUBECTL = str(CACHE / "bin" / "kubectl")
FOUNDATION = REPO / "roles" / "foundation"
EMAIL, PASSWORD = "admin@example.com", "Adm1n-S3cret-Pw"
BACKUP = {"destination_path": "s3://dify-platform-backups/postgres", "endpoint_url": "https://s3.example.test",
          "credentials_secret": "dify-platform-backup-s3"}
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


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Dify's S3 storage: SeaweedFS over TLS, and a client of the collection's own (verified against the CA)."""
    with tls_store(tmp_path_factory.mktemp("s3"), "airgap backup test CA") as s3:
        s3.client = S3Client(s3.endpoint, "us-east-1", s3.access_key, s3.secret_key, ca_pem=s3.ca.cert_path.read_text())
        yield s3


def s3_credentials(kubeconfig, namespace, store):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dify-s3", "namespace": namespace},
              "stringData": {"ACCESS_KEY_ID": store.access_key, "ACCESS_SECRET_KEY": store.secret_key}}
    assert kubectl(kubeconfig, "apply", "-f", "-", data=json.dumps(secret)).returncode == 0
    return {"endpoint": store.endpoint, "region": "us-east-1", "credentials_secret": "dify-s3"}


def seed_bucket(store, bucket):
    """Objects as Dify writes them at the bucket's root, a workspace's private key (PKCS#1 PEM) among them."""
    tenant = str(uuid.uuid4())
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    objects = {"privkeys/%s/private.pem" % tenant: pem, "upload_files/%s/notes.txt" % tenant: b"uploaded\n"}
    store.client.create_bucket(bucket)
    for key, data in objects.items():
        store.client.put_object(bucket, key, data, len(data), hashlib.sha256(data).hexdigest())
    return objects


def bucket_contents(store, bucket, tmp_path):
    found = {}
    for obj in store.client.list_objects(bucket):
        store.client.get_object(bucket, obj["key"], str(tmp_path / "object"))
        found[obj["key"]] = (tmp_path / "object").read_bytes()
    return found


def kubectl(kubeconfig, *args, data=None):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def namespaces(kubeconfig):
    made = []

    def make(create=True):
        name = "bkp-%s" % uuid.uuid4().hex[:8]
        if create:
            assert kubectl(kubeconfig, "create", "namespace", name).returncode == 0
        made.append(name)
        return name

    yield make
    for name in made:
        kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")


def components():
    return yaml.safe_load((REPO / "roles" / "dify_platform" / "defaults" / "main.yml").read_text())["dify_platform_components"]


def generate_secrets(kubeconfig, namespace):
    run = run_tasks([
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(REPO / "roles" / "dify_platform" / "vars" / "main.yml")}},
        {"name": "defaults", "ansible.builtin.include_vars": {"file": str(FOUNDATION / "defaults" / "main.yml")}},
        {"name": "vars", "ansible.builtin.include_vars": {"file": str(FOUNDATION / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": {
            "foundation_namespace": namespace, "dify_platform_components": components()}},
        {"name": "generate", "no_log": True, "airgap.dify_platform.apply_wave": {
            "wave": -1, "component": "generated-secrets", "report": False, "create_only": True, "wait": False,
            "templates": [str(FOUNDATION / "templates" / "generated-secrets.yml.j2")]}},
    ], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    assert run.returncode == 0 and not run.result("generate").get("failed"), run.stderr[-2000:]


def secrets_of(kubeconfig, namespace):
    proc = kubectl(kubeconfig, "get", "secret", "-n", namespace, "-l", "airgap.dify-platform/generated=true", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return dict((item["metadata"]["name"], item.get("data", {})) for item in json.loads(proc.stdout)["items"])


def playbook(name, inventory, extra_vars, kubeconfig, tmp_path):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    path = tmp_path / ("%s-vars.json" % name)
    path.write_text(json.dumps(extra_vars))
    sources = [str(i) for i in (inventory if isinstance(inventory, list) else [inventory])]
    proc = subprocess.run([ANSIBLE_PLAYBOOK, *[a for i in sources for a in ("-i", i)], "-e", "@" + str(path),
                           "airgap.dify_platform.%s" % name], env=env, capture_output=True, text=True, timeout=3600,
                          check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def failure(run):
    return "\n".join(json.dumps(r)[:1500] for r in run.results if r.get("failed")) or (run.stdout[-3000:] + run.stderr[-2000:])


def test_backup_set_then_restore_into_a_new_namespace(kubeconfig, namespaces, store, tmp_path):
    source = namespaces()
    generate_secrets(kubeconfig, source)
    dify_s3 = dict(s3_credentials(kubeconfig, source, store), bucket="dify-" + source)
    in_bucket = seed_bucket(store, dify_s3["bucket"])
    ca_pem = store.ca.cert_path.read_text()
    objects = list(render_postgres(BACKUP, namespace=source).values())
    proc = kubectl(kubeconfig, "apply", "--server-side", "-f", "-", data=yaml.safe_dump_all(objects))
    assert proc.returncode == 0, proc.stderr
    generated = secrets_of(kubeconfig, source)
    assert len(generated) >= 10, sorted(generated)

    key = tmp_path / "backup-key"
    key.write_text("correct horse battery staple 42\n")
    key.chmod(0o600)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"dify_platform": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    dify = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    try:
        dify.seed(APP)
        run = playbook("backup", inventory, {
            "dify_platform_namespace": source, "backup_dir": str(tmp_path / "sets"), "backup_set_name": "set-test",
            "backup_vault_password_file": str(key), "backup_postgres_wait": False, "backup_files": "s3",
            "backup_files_s3": dify_s3, "backup_files_s3_ca_pem": ca_pem,
            "dify_apps_url": dify.url, "dify_apps_email": EMAIL, "dify_apps_password": PASSWORD,
            "dify_apps_retries": 1}, kubeconfig, tmp_path)
    finally:
        dify.stop()
    assert run.returncode == 0, failure(run)
    found = tmp_path / "sets" / "set-test"
    manifest = json.loads((found / "manifest.json").read_text())

    # The manifest: every file with its size and SHA-256; the parts.
    files = sorted(p for p in found.rglob("*") if p.is_file() and p.name != "manifest.json")
    assert sorted(f["file"] for f in manifest["files"]) == sorted(str(p.relative_to(found)) for p in files)
    for entry in manifest["files"]:
        data = (found / entry["file"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest(), entry
    parts = dict((part["part"], part) for part in manifest["parts"])
    assert set(parts) == {"postgres", "secrets", "dify-apps", "files"}
    assert parts["files"]["kind"] == "s3" and parts["files"]["count"] == len(in_bucket)
    assert parts["postgres"]["server_name"] == "dify-platform-pg"
    assert parts["postgres"]["object_store"] == "dify-platform-pg-backup"
    assert sorted(parts["secrets"]["secrets"]) == sorted(generated)
    assert any(p.suffix == ".yml" for p in (found / "dify-apps").iterdir())
    assert (found / "secrets.vault").read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;")

    # The on-demand Backup, through the plugin, admitted by the real CRD.
    proc = kubectl(kubeconfig, "get", "backup.postgresql.cnpg.io", "-n", source, "dify-platform-pg-set-test", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["spec"]["method"] == "plugin"

    # No clear secret anywhere in the set: every generated value, as stored and decoded.
    # (The basic-auth Secrets' ``username`` is the database role's name, public by design.)
    values = {}
    for name, data in generated.items():
        for field, stored in data.items():
            if field == "username":
                continue
            values[stored] = "%s/%s (as stored)" % (name, field)
            values[base64.b64decode(stored).decode()] = "%s/%s" % (name, field)
    assert len(values) >= 20 and min(len(v) for v in values) >= 16
    # The workspace's private key from the S3 part: whole, and each line of its body.
    for object_key, data in in_bucket.items():
        if object_key.startswith("privkeys/"):
            values[data.decode()] = object_key
            values.update((line, object_key + " (a line)") for line in data.decode().splitlines()[1:-2])
    everything = [(p, p.read_bytes()) for p in found.rglob("*") if p.is_file()]
    leaks = sorted({"%s: %s" % (p.relative_to(found), where) for p, data in everything
                    for value, where in values.items() if value.encode() in data})
    assert leaks == []
    assert not any(value in run.stdout + run.stderr for value in values)

    # Restore into a new namespace through the real site.yml (waves foundation and postgres).
    # The platform's settings come from an inventory (group_vars), as for users: extra vars would
    # outrank the recovery settings restore.yml hands to the postgres wave.
    # The target's bucket does not exist yet; its credentials Secret is the user's, made before restore.yml.
    target = namespaces()
    target_s3 = dict(s3_credentials(kubeconfig, target, store), bucket="dify-" + target)
    overlay = tmp_path / "inventory"
    (overlay / "group_vars").mkdir(parents=True)
    (overlay / "hosts.yml").write_text((REPO / "inventories" / "local" / "hosts.yml").read_text())
    (overlay / "group_vars" / "dify_platform.yml").write_text(yaml.safe_dump({
        "dify_platform_namespace": target, "dify_platform_components": ["foundation", "postgres"],
        "dify_platform_openshift": False, "postgres_backup": BACKUP}))
    restore = playbook("restore", [REPO / "inventories" / "local", overlay], {
        "restore_dir": str(found), "restore_vault_password_file": str(key), "restore_files": True,
        "restore_files_s3": target_s3, "restore_files_s3_ca_pem": ca_pem,
        "restore_server_name": "dify-platform-pg-r1",
        # No pod runs on kwok to read Dify's tables from: the data checks run on kind (tests/integration/backup_kind).
        "restore_check_apps": False, "restore_check_dify_credentials": False}, kubeconfig, tmp_path)
    assert restore.returncode == 0, failure(restore)
    assert not any(value in restore.stdout + restore.stderr for value in values)
    restored = secrets_of(kubeconfig, target)
    assert bucket_contents(store, target_s3["bucket"], tmp_path) == in_bucket
    for name, data in generated.items():
        assert restored.get(name) == data, name
    proc = kubectl(kubeconfig, "get", "cluster.postgresql.cnpg.io", "-n", target, "dify-platform-pg", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    cluster = json.loads(proc.stdout)["spec"]
    assert "recovery" in cluster["bootstrap"] and "initdb" not in cluster["bootstrap"]
    [origin] = cluster["externalClusters"]
    assert origin["plugin"]["parameters"] == {"barmanObjectName": "dify-platform-pg-backup", "serverName": "dify-platform-pg"}
    assert cluster["plugins"][0]["parameters"]["serverName"] == "dify-platform-pg-r1"
