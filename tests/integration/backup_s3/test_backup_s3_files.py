"""Dify's S3 file storage in a backup set, and back into a new bucket (issue 19), against a real S3.

SeaweedFS (`weed server -s3`, built from its Go module, tests/helpers/seaweedfs_s3.py) serves S3 over TLS with a
certificate from a test CA; the roles verify it against that CA, given as ``backup_files_s3_ca_pem``, as
``dify_platform_ca_bundle_pem`` would give it. The bucket is seeded as Dify fills it: files at the bucket's root
under their own names (langgenius/dify api/extensions/storage/aws_s3_storage.py, ``put_object(Key=filename)``),
among them a workspace's RSA private key at ``privkeys/<tenant_id>/private.pem`` (PKCS#1 PEM, as
``api/libs/rsa.py`` ``generate_key_pair`` writes it). The roles run as the playbooks run them, the credentials read
from a Secret on the local control plane:

- backup (``backup_files: s3``): every object in ``files/s3/`` with its size and SHA-256 in the manifest, equal to
  the bucket's; the private key sealed under ``sealed/s3/`` and nowhere in the set in the clear;
- restore: into a bucket that does not exist yet, every object back byte for byte, the private key included;
  a second restore writes nothing (changed=0); an object of the set's key with other content is refused;
- a store whose certificate the given CA did not sign is refused at once (no retry).
"""

import hashlib
import importlib.util
import json
import secrets
import subprocess
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.registry.registry import TestCA
from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE, REPO
from helpers.playbook import run_tasks
from helpers.seaweedfs_s3 import tls_store

from ansible_collections.airgap.dify_platform.plugins.module_utils.s3.client import S3Client

KUBECTL = str(CACHE / "bin" / "kubectl")
SPEC = importlib.util.spec_from_file_location("dify_credentials", REPO / "roles" / "restore" / "files" / "dify_credentials.py")
dify_credentials = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(dify_credentials)
TENANT = str(uuid.uuid4())


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with tls_store(tmp_path_factory.mktemp("s3"), "airgap backup s3 test CA") as s3:
        yield s3


def client(store, bucket_ca=None):
    return S3Client(store.endpoint, "us-east-1", store.access_key, store.secret_key, "path",
                    ca_pem=bucket_ca or store.ca.cert_path.read_text(), retries=1)


def kubectl(kubeconfig, *args, data=None):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], input=data, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def namespaces(kubeconfig):
    made = []

    def make(store):
        name = "bs3-%s" % uuid.uuid4().hex[:8]
        assert kubectl(kubeconfig, "create", "namespace", name).returncode == 0
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dify-s3", "namespace": name},
                  "stringData": {"ACCESS_KEY_ID": store.access_key, "ACCESS_SECRET_KEY": store.secret_key}}
        assert kubectl(kubeconfig, "apply", "-f", "-", data=json.dumps(secret)).returncode == 0
        made.append(name)
        return name

    yield make
    for name in made:
        kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")


def generated_secret(kubeconfig, namespace):
    """One Secret as the foundation generates them (its label), so that the set has a Secrets part."""
    value = secrets.token_urlsafe(32)
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "dify-platform-dify", "namespace": namespace,
                           "labels": {"airgap.dify-platform/generated": "true"}},
              "stringData": {"secret-key": value}}
    assert kubectl(kubeconfig, "apply", "-f", "-", data=json.dumps(secret)).returncode == 0
    return value


def dify_private_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def seed(s3, bucket):
    objects = {
        "privkeys/%s/private.pem" % TENANT: dify_private_key(),
        "upload_files/%s/%s.txt" % (TENANT, uuid.uuid4()): b"hello from a Dify upload\n",
        "upload_files/%s/%s.pdf" % (TENANT, uuid.uuid4()): secrets.token_bytes(3 * 1024 * 1024 + 17),
        "tools/%s/a file with spaces & unicode \u00e9.json" % TENANT: b'{"k": 1}',
        "image_files/%s/empty.png" % TENANT: b"",
    }
    s3.create_bucket(bucket)
    for key, data in objects.items():
        s3.put_object(bucket, key, data, len(data), hashlib.sha256(data).hexdigest())
    return objects


def bucket_contents(s3, bucket, tmp_path):
    out = {}
    for obj in s3.list_objects(bucket):
        dest = tmp_path / ("obj-%s" % uuid.uuid4().hex)
        s3.get_object(bucket, obj["key"], str(dest))
        out[obj["key"]] = dest.read_bytes()
    return out


def role_vars(store, namespace, bucket, key_file):
    s3 = {"endpoint": store.endpoint, "bucket": bucket, "region": "us-east-1", "credentials_secret": "dify-s3"}
    return {"dify_platform_namespace": namespace, "dify_storage_type": "s3", "dify_s3": s3,
            "dify_platform_ca_bundle_pem": store.ca.cert_path.read_text(), "backup_vault_password_file": str(key_file),
            "restore_vault_password_file": str(key_file)}


def backup(kubeconfig, tmp_path, varset, **extra):
    return run_tasks([{"name": "backup", "ansible.builtin.include_role": {"name": "airgap.dify_platform.backup"},
                       "vars": dict(varset, backup_dir=str(tmp_path / "sets"), backup_set_name="set-s3",
                                    backup_postgres=False, backup_dify_apps=False, **extra)}],
                     extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})


def restore(kubeconfig, set_dir, varset):
    role_args = dict(varset, restore_dir=str(set_dir))
    return run_tasks([
        {"name": "restore", "ansible.builtin.include_role": {"name": "airgap.dify_platform.restore"}, "vars": role_args},
        {"name": "finish", "ansible.builtin.include_role": {"name": "airgap.dify_platform.restore", "tasks_from": "finish.yml"},
         "vars": role_args}], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})


def failed(run):
    return "\n".join(json.dumps(r)[:1500] for r in run.results if r.get("failed")) or (run.stdout[-3000:] + run.stderr[-2000:])


def check_credentials(kubeconfig, set_dir, varset, public_pem):
    """The restore's credential check (check_credential.yml) on the S3 storage: a credential encrypted with
    ``public_pem`` as Dify does, decrypted with the key read from the restored bucket."""
    config = json.dumps({"openai_api_key": dify_credentials.encrypt_token(public_pem, "sk-model-provider-0123456789")})
    role_args = dict(varset, restore_dir=str(set_dir), __restore_tenant=TENANT, __restore_storage_s3=True,
                     __restore_credentials={"stdout": json.dumps([{"tenant": TENANT, "config": config}])})
    return run_tasks([{"name": "check", "ansible.builtin.include_role": {
        "name": "airgap.dify_platform.restore", "tasks_from": "check_credential.yml"}, "vars": role_args}],
        extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})


def upload_result(run):
    return run.result("airgap.dify_platform.restore : Write the objects and the private keys into the bucket")


def test_s3_storage_round_trip(kubeconfig, store, namespaces, tmp_path):
    s3 = client(store)
    source_bucket = "dify-%s" % uuid.uuid4().hex[:6]
    objects = seed(s3, source_bucket)
    key_file = tmp_path / "backup-key"
    key_file.write_text("correct horse battery staple 42\n")
    source = namespaces(store)
    generated = generated_secret(kubeconfig, source)

    run = backup(kubeconfig, tmp_path, role_vars(store, source, source_bucket, key_file))
    assert run.returncode == 0, failed(run)
    found = tmp_path / "sets" / "set-s3"
    manifest = json.loads((found / "manifest.json").read_text())
    part = next(p for p in manifest["parts"] if p["part"] == "files")
    pem_key = "privkeys/%s/private.pem" % TENANT
    assert part["kind"] == "s3" and part["file"] == "files/s3/" and part["count"] == len(objects)
    assert part["bytes"] == sum(len(v) for v in objects.values())
    assert part["sealed"] == ["s3/" + pem_key]
    # No clear secret in the set, nor in the run's output: the private key (whole, and its base64 body's
    # lines) and the bucket's credentials.
    pem = objects[pem_key]
    body_lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    needles = [pem, store.secret_key.encode(), generated.encode(), *body_lines[1:-1]]
    everything = [(p, p.read_bytes()) for p in found.rglob("*") if p.is_file()]
    leaks = sorted({str(p.relative_to(found)) for p, data in everything for needle in needles if needle in data})
    assert leaks == []
    assert not any(n.decode() in run.stdout + run.stderr for n in needles)

    # Every object is a file of the set with the bucket's size and SHA-256; the key only sealed.
    listed = dict((f["file"], f) for f in manifest["files"])
    for key, data in objects.items():
        if key == pem_key:
            assert "files/s3/" + key not in listed
            sealed = listed["sealed/s3/" + key + ".vault"]
            assert (found / sealed["file"]).read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;")
            continue
        entry = listed["files/s3/" + key]
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest(), key

    # Restore into a bucket that does not exist yet, in a new namespace.
    target_bucket = source_bucket + "-restored"
    target = namespaces(store)
    varset = role_vars(store, target, target_bucket, key_file)
    first = restore(kubeconfig, found, varset)
    assert first.returncode == 0, failed(first)
    assert upload_result(first)["changed"] and len(upload_result(first)["created"]) == len(objects)
    assert bucket_contents(s3, target_bucket, tmp_path) == objects
    assert not any(n.decode() in first.stdout + first.stderr for n in needles)

    # The restore's check reads the workspace's key from the restored bucket: a credential encrypted with its
    # public key decrypts; one encrypted with another workspace's key does not.
    public = serialization.load_pem_private_key(pem, None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    checked = check_credentials(kubeconfig, found, varset, public)
    assert checked.returncode == 0, failed(checked)
    assert not any(n.decode() in checked.stdout + checked.stderr for n in needles)
    other = serialization.load_pem_private_key(dify_private_key(), None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    wrong = check_credentials(kubeconfig, found, varset, other)
    assert wrong.returncode != 0
    assert "do not decrypt with the restored private key" in wrong.stdout, wrong.stdout[-2000:]

    # Idempotent: a second restore writes nothing.
    again = restore(kubeconfig, found, varset)
    assert again.returncode == 0, failed(again)
    assert not upload_result(again)["changed"]
    assert upload_result(again)["created"] == [] and upload_result(again)["unchanged"] == len(objects)

    # Other content under a key of the set: refused, nothing overwritten.
    changed_key = sorted(k for k in objects if k.startswith("upload_files/"))[0]
    s3.put_object(target_bucket, changed_key, b"written after the restore", 25,
                  hashlib.sha256(b"written after the restore").hexdigest())
    refused = restore(kubeconfig, found, varset)
    assert refused.returncode != 0
    message = upload_result(refused)["msg"]
    assert changed_key in message and "empty or new bucket" in message, message
    assert bucket_contents(s3, target_bucket, tmp_path)[changed_key] == b"written after the restore"


def test_a_store_the_ca_did_not_sign_is_refused(kubeconfig, store, namespaces, tmp_path):
    other = TestCA(tmp_path / "other-ca", name="another CA")
    key_file = tmp_path / "backup-key"
    key_file.write_text("correct horse battery staple 42\n")
    varset = role_vars(store, namespaces(store), "any-bucket", key_file)
    run = backup(kubeconfig, tmp_path, varset, backup_files_s3_ca_pem=other.cert_path.read_text())
    assert run.returncode != 0
    message = run.result("airgap.dify_platform.backup : Copy every object of the bucket into the set")["msg"]
    assert "TLS verification" in message and "Not retried" in message, message
    assert store.secret_key not in run.stdout + run.stderr
