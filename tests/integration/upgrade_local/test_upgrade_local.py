"""An upgrade through site.yml on the local control plane (issue 19): the new migration Job runs before the rollout,
and a failing migration leaves the old Deployment untouched. For each wave that owns a schema through a Job:

- Dify: waves foundation, postgres, redis and dify, dify_api bumped, Job dify-migrate-<hash>, Deployment dify-api;
- Langfuse: waves foundation, postgres and langfuse, the web image (langfuse) bumped, Job langfuse-migrate-<hash>,
  Deployment langfuse-web (its migrations left the web's entrypoint for that Job).

The waves converge with release manifest A (release/manifest.yml), then with B, the same manifest with the image
bumped (another digest and version). kwok runs the pods; a kwok Stage of the namespace fails the Job pods
(test_apply_wave.py failing_pods_stage: the migration's cause of failure is outside its manifest).

- B with the migration failing: the run fails naming the migration Job of B; the Deployment keeps its generation and
  A's image.
- B again with the migration passing: the Job of B completes, and only then is the Deployment's template changed to B;
  a converge after it changes nothing.

The kind test (tests/integration/upgrade/test_upgrade_kind.py, make upgrade-kind) checks the same on real pods, with the
pre-upgrade backup set; here the backup is opted out (upgrade_backup: false), as the kwok cluster runs no operator.
"""

import datetime
import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml

from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE, COLLECTIONS_ROOT, REPO
from helpers.playbook import ANSIBLE_PLAYBOOK, PlaybookRun

sys.path.insert(0, str(REPO / "tests" / "integration" / "platform"))
from test_apply_wave import failing_pods_stage  # one Stage for both tests

KUBECTL = str(CACHE / "bin" / "kubectl")
B_DIGEST = "sha256:" + "b" * 64


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


def kubectl(kubeconfig, *args):
    return subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def read(kubeconfig, namespace, kind, name=None):
    proc = kubectl(kubeconfig, "-n", namespace, "get", kind, *([name] if name else []), "-o", "json", "--show-managed-fields")
    return json.loads(proc.stdout) if proc.returncode == 0 else None


# (the image bumped, its Deployment, the prefix of its migration Job, the waves converged)
WAVES = {
    "dify": ("dify_api", "dify-api", "dify-migrate-", ["foundation", "postgres", "redis", "dify"]),
    "langfuse": ("langfuse", "langfuse-web", "langfuse-migrate-", ["foundation", "postgres", "langfuse"]),
}


def site(kubeconfig, namespace, manifest, tmp_path, components):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({
        "dify_platform_namespace": namespace, "dify_platform_components": components,
        "dify_platform_release_manifest": str(manifest), "upgrade_backup": False, "dify_platform_wait_timeout": 300}))
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(REPO / "inventories" / "local"), "-e", "@%s" % extra,
                           "airgap.dify_platform.site"], env=env, capture_output=True, text=True, timeout=1800, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def when(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def migrations(kubeconfig, namespace, prefix):
    return {job["metadata"]["name"]: job for job in read(kubeconfig, namespace, "jobs")["items"]
            if job["metadata"]["name"].startswith(prefix)}


@pytest.mark.parametrize("wave", sorted(WAVES))
def test_the_migration_runs_before_the_rollout_and_a_failed_one_leaves_the_old_deployment(kubeconfig, tmp_path, wave):
    image, deployment, prefix, components = WAVES[wave]
    namespace = "upg-%s" % uuid.uuid4().hex[:8]
    manifest = yaml.safe_load((REPO / "release" / "manifest.yml").read_text())
    a_digest = manifest["images"][image]["digest"]
    manifest_a = tmp_path / "manifest-a.yml"
    manifest_a.write_text(yaml.safe_dump(manifest))
    manifest["images"][image].update(digest=B_DIGEST, version=manifest["images"][image]["version"] + "-b")
    manifest_b = tmp_path / "manifest-b.yml"
    manifest_b.write_text(yaml.safe_dump(manifest))
    stage = tmp_path / "stage.json"
    stage.write_text(json.dumps(failing_pods_stage(namespace)))
    try:
        run = site(kubeconfig, namespace, manifest_a, tmp_path, components)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        before = read(kubeconfig, namespace, "deployment", deployment)
        assert a_digest in before["spec"]["template"]["spec"]["containers"][0]["image"]
        jobs_a = set(migrations(kubeconfig, namespace, prefix))
        assert len(jobs_a) == 1, jobs_a

        # B, the migration failing: the wave stops at the Job, the old Deployment is left as it was.
        assert kubectl(kubeconfig, "apply", "-f", str(stage)).returncode == 0
        run = site(kubeconfig, namespace, manifest_b, tmp_path, components)
        assert run.returncode != 0, "the upgrade went on past a failed migration"
        jobs_b = set(migrations(kubeconfig, namespace, prefix)) - jobs_a
        assert len(jobs_b) == 1, (jobs_a, jobs_b)
        job_b = jobs_b.pop()
        assert "Job %s/%s failed." % (namespace, job_b) in run.stdout, run.stdout[-4000:]
        after = read(kubeconfig, namespace, "deployment", deployment)
        assert after["metadata"]["generation"] == before["metadata"]["generation"]
        assert after["spec"]["template"] == before["spec"]["template"], "the failed migration's rollout began"
        assert B_DIGEST not in json.dumps(read(kubeconfig, namespace, "deployments")), "a Deployment runs B"

        # B, the migration passing: the Job of B completes, then the template moves to B.
        assert kubectl(kubeconfig, "delete", "-f", str(stage)).returncode == 0
        run = site(kubeconfig, namespace, manifest_b, tmp_path, components)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        job = migrations(kubeconfig, namespace, prefix)[job_b]
        assert B_DIGEST in job["spec"]["template"]["spec"]["containers"][0]["image"]
        assert job["status"].get("succeeded") == 1, job["status"]
        after = read(kubeconfig, namespace, "deployment", deployment)
        assert B_DIGEST in after["spec"]["template"]["spec"]["containers"][0]["image"]
        assert after["metadata"]["generation"] > before["metadata"]["generation"]
        # The template's last write (the apply that moved it to B) is not before the Job's completion.
        applied = max(when(f["time"]) for f in after["metadata"]["managedFields"] if f.get("operation") == "Apply")
        assert applied >= when(job["status"]["completionTime"]).replace(microsecond=0), (applied, job["status"])
        # A converge after the upgrade changes nothing (the completed Job is kept, not run again).
        run = site(kubeconfig, namespace, manifest_b, tmp_path, components)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert run.stats.get("changed") == 0, [r["_task"] for r in run.results if r.get("changed")]
    finally:
        kubectl(kubeconfig, "delete", "-f", str(stage), "--ignore-not-found")
        for name in (namespace, namespace + "-sandbox"):
            kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")
