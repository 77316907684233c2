"""An upgrade through site.yml on a real kind cluster: version A, then B with a failing migration, then B with a good one.

- A (first install): no backup set is taken.
- B in check mode: it says it would take the set, and takes none; nothing rolls.
- B-bad (the api stand-in's `flask upgrade-db` exits 1): the pre-upgrade set is taken, the wave fails quoting the
  migration Job's pod log, and the old api pods (same pods, image A) are still Ready and answering.
- B-good: a second pre-upgrade set, the migration Job completes before the new api pods are created, and they run B.
- B-good again: no upgrade, no set, changed=0.

The images B are STAND-INs derived from A (standin_images.py). Runs only with AIRGAP_UPGRADE_KIND=1 (make upgrade-kind),
on a kind cluster of its own (AIRGAP_UPGRADE_KIND_CLUSTER, default airgap-upgrade), created fresh and deleted at the end
(AIRGAP_UPGRADE_KIND_KEEP=1 keeps it). Needs podman, the kind node image and the Harbor stand-in serving the images of
the kind inventory (make kind-image harbor-standin). Timings go to <cache>/upgrade-test/<cluster>/figures.json.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import standin_images

from helpers.paths import CACHE, COLLECTIONS_ROOT, REPO
from helpers.playbook import PlaybookRun

HERE = Path(__file__).resolve().parent
CLUSTER = os.environ.get("AIRGAP_UPGRADE_KIND_CLUSTER", "airgap-upgrade")
NAMESPACE = "dify-platform"
REASON = "stand-in: column tenants.plan cannot be cast"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

pytestmark = pytest.mark.skipif(os.environ.get("AIRGAP_UPGRADE_KIND") != "1",
                                reason="the kind upgrade test runs with AIRGAP_UPGRADE_KIND=1 (make upgrade-kind)")


class Env:
    def __init__(self, work):
        self.work = work
        self.kubeconfig = CACHE / "kind" / CLUSTER / "kubeconfig"
        self.figures = {}
        self.env = dict(os.environ, AIRGAP_KIND_CLUSTER=CLUSTER, KIND_EXPERIMENTAL_PROVIDER=os.environ.get(
            "KIND_EXPERIMENTAL_PROVIDER", "podman"), KUBECONFIG=str(self.kubeconfig), K8S_AUTH_KUBECONFIG=str(self.kubeconfig),
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false")

    def timed(self, label, argv, **kwargs):
        started = time.monotonic()
        proc = subprocess.run(argv, env=self.env, cwd=str(REPO), capture_output=True, text=True, check=False, **kwargs)
        self.figures[label] = round(time.monotonic() - started, 1)
        (self.work / ("%s.log" % label)).write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
        return proc

    def site(self, label, manifest, check=False):
        argv = [ANSIBLE_PLAYBOOK, "-i", "inventories/kind", "playbooks/site.yml", "-e", "@%s" % (HERE / "vars.yml"),
                "-e", "dify_platform_release_manifest=%s" % manifest, "-e", "backup_dir=%s" % (self.work / "backups"),
                "-e", "backup_vault_password_file=%s" % (self.work / "vault-key")] + (["--check"] if check else [])
        started = time.monotonic()
        proc = subprocess.run(argv, env=dict(self.env, ANSIBLE_STDOUT_CALLBACK="json"), cwd=str(REPO),
                              capture_output=True, text=True, check=False, timeout=1800)
        self.figures[label] = round(time.monotonic() - started, 1)
        (self.work / ("%s.json" % label)).write_text(proc.stdout)
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)

    def kubectl_json(self, *args):
        out = subprocess.run(["kubectl", "-n", NAMESPACE, *args, "-o", "json"], env=self.env, capture_output=True,
                             text=True, check=True, timeout=60)
        return json.loads(out.stdout)

    def sets(self):
        return sorted(p.name for p in (self.work / "backups").iterdir())


def _must(proc, what):
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (what, proc.stdout[-3000:], proc.stderr[-3000:])


@pytest.fixture(scope="module")
def kind():
    work = CACHE / "upgrade-test" / CLUSTER
    if work.exists():
        shutil.rmtree(work)
    (work / "backups").mkdir(parents=True)
    key = work / "vault-key"
    key.write_text(os.urandom(18).hex())
    key.chmod(0o600)
    env = Env(work)
    ca = CACHE / "harbor-standin" / "ca" / "ca.crt"
    env.env.update(AIRGAP_KIND_REGISTRY="host.containers.internal:5443", AIRGAP_KIND_REGISTRY_CA=str(ca))
    _must(env.timed("kind-down-before", [str(REPO / "hack/kind/down.sh")], timeout=600), "kind down")
    _must(env.timed("kind-up", [str(REPO / "hack/kind/up.sh")], timeout=1200), "kind up")
    _must(env.timed("prepare", [ANSIBLE_PLAYBOOK, str(HERE / "prepare.yml")], timeout=1800), "prepare")
    started = time.monotonic()
    with_images = work / "images"
    with_images.mkdir()
    digests = standin_images.build(CACHE, {"B-bad": {"STANDIN_MIGRATION_FAIL": REASON}, "B-good": {}}, with_images)
    env.manifests = standin_images.manifests(CACHE, digests, work)
    env.digests = digests
    env.figures["derive-images"] = round(time.monotonic() - started, 1)
    yield env
    if os.environ.get("AIRGAP_UPGRADE_KIND_KEEP") != "1":
        env.timed("kind-down", [str(REPO / "hack/kind/down.sh")], timeout=600)
    (work / "figures.json").write_text(json.dumps(env.figures, indent=1))
    print("upgrade test figures (s): %s" % json.dumps(env.figures))


def task(run, name):
    """The result of the task ``name``; a role's tasks are named ``<role> : <name>`` in the json callback."""
    for item in run.results:
        if item["_task"] == name or item["_task"].endswith(" : " + name):
            return item
    raise KeyError("no task %r; tasks: %s" % (name, [r["_task"] for r in run.results]))


def api_image(env, name="dify-api"):
    return env.kubectl_json("get", "deployment", name)["spec"]["template"]["spec"]["containers"][0]["image"]


def api_pods(env):
    return env.kubectl_json("get", "pods", "-l", "app.kubernetes.io/name=dify-api")["items"]


def test_an_upgrade_backs_up_first_and_migrates_before_the_rollout(kind):
    env = kind
    digest = env.digests

    # A: a first install takes no set.
    run = env.site("converge-A", env.manifests["A"])
    assert run.returncode == 0, run.stdout[-3000:]
    assert task(run, "Before the waves: take the pre-upgrade backup set").get("skipped") is True
    assert env.sets() == []
    assert api_image(env).endswith(digest["A"])

    # B in check mode: says it would take the set, takes none, rolls nothing.
    run = env.site("check-B", env.manifests["B-good"], check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    said = task(run, "Pre-upgrade backup: check mode takes none")["msg"]
    assert said.startswith("Check mode: a real run would take the backup set %s/pre-upgrade-" % (env.work / "backups"))
    assert env.sets() == []
    assert api_image(env).endswith(digest["A"])

    # B-bad: the set is taken, the migration fails, the wave stops quoting the Job's pod log; A keeps serving.
    before = api_pods(env)
    generation = env.kubectl_json("get", "deployment", "dify-api")["metadata"]["generation"]
    run = env.site("converge-B-bad", env.manifests["B-bad"])
    assert run.returncode != 0
    message = [r.get("msg") or "" for r in run.results if r.get("failed")][-1]
    assert message.startswith("Wave 3 (dify) failed. Blocked by Job %s/dify-migrate-" % NAMESPACE), message[:500]
    assert "STAND-IN: Database migration failed: %s" % REASON in message
    assert "Nothing after its step was applied" in message
    (first_set,) = env.sets()
    assert first_set.startswith("pre-upgrade-")
    assert {"manifest.json", "secrets.vault"} <= set(p.name for p in (env.work / "backups" / first_set).iterdir())
    deployment = env.kubectl_json("get", "deployment", "dify-api")
    assert deployment["metadata"]["generation"] == generation
    assert api_image(env).endswith(digest["A"])
    after = api_pods(env)
    assert sorted(p["metadata"]["uid"] for p in after) == sorted(p["metadata"]["uid"] for p in before)
    for pod in after:
        status = pod["status"]["containerStatuses"][0]
        # imageID is the reference pulled, repository@manifest digest (status.image may be the config's id).
        assert status["ready"] and status["restartCount"] == 0 and status["imageID"].endswith(digest["A"])
        assert pod["spec"]["containers"][0]["image"].endswith(digest["A"])
    health = subprocess.run(["kubectl", "-n", NAMESPACE, "exec", "deploy/dify-api", "--", "python3", "-c",
                             "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:5001/health').read().decode())"],
                            env=env.env, capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(health.stdout)["status"] == "ok"

    # B-good: a second set (the platform still runs A), the Job completes, then the new api pods start.
    run = env.site("converge-B-good", env.manifests["B-good"])
    assert run.returncode == 0, run.stdout[-3000:]
    assert len(env.sets()) == 2
    jobs = [j for j in env.kubectl_json("get", "jobs")["items"]
            if j["spec"]["template"]["spec"]["containers"][0]["image"].endswith(digest["B-good"])]
    assert len(jobs) == 1 and jobs[0]["status"].get("succeeded") == 1
    completed = jobs[0]["status"]["completionTime"]
    assert api_image(env).endswith(digest["B-good"])
    # An old pod may still be terminating: the new ones are those of image B.
    pods = [p for p in api_pods(env) if p["spec"]["containers"][0]["image"].endswith(digest["B-good"])]
    assert pods and all(p["metadata"]["creationTimestamp"] >= completed for p in pods), (completed, [
        p["metadata"]["creationTimestamp"] for p in pods])
    env.figures["job-completed-to-first-new-api-pod-s"] = min(p["metadata"]["creationTimestamp"] for p in pods) + " vs " + completed

    # B-good again: no upgrade, no set, nothing changed.
    run = env.site("converge-B-good-again", env.manifests["B-good"])
    assert run.returncode == 0, run.stdout[-3000:]
    assert task(run, "Before the waves: take the pre-upgrade backup set").get("skipped") is True
    assert len(env.sets()) == 2
    assert run.stats.get("changed") == 0, run.stats
