"""The kind side of the backup drill: kubectl, psql in the instance, files in the dify-api pod, port-forwards, timings."""

import base64
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

from helpers.paths import CACHE, COLLECTIONS_ROOT, REPO
from helpers.playbook import ANSIBLE_PLAYBOOK, PlaybookRun

KUBECTL = str(CACHE / "bin" / "kubectl")
CLUSTER = os.environ.get("AIRGAP_KIND_CLUSTER", "airgap-drill")
SCRIPT = REPO / "hack" / "kind" / "drill-backup.sh"


class Timings(dict):
    """Step name -> seconds, in the order the steps ran."""

    @contextmanager
    def step(self, name):
        start = time.monotonic()
        try:
            yield
        finally:
            self[name] = round(time.monotonic() - start, 1)
            print("[drill] %s: %.1fs" % (name, self[name]), file=sys.stderr, flush=True)


class Kind:
    def __init__(self, kubeconfig):
        self.kubeconfig = kubeconfig

    def kubectl(self, *args, data=None, timeout=300, check=True):
        proc = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], input=data, capture_output=True,
                              text=isinstance(data, str) or data is None, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s: %s" % (" ".join(args[:4]), proc.stderr))
        return proc

    def json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def primary(self, namespace, cluster="dify-platform-pg"):
        return self.json("-n", namespace, "get", "cluster.postgresql.cnpg.io", cluster)["status"]["currentPrimary"]

    def psql(self, namespace, sql, database="dify"):
        """One statement as the superuser over the instance's socket; the output, trimmed."""
        proc = self.kubectl("-n", namespace, "exec", self.primary(namespace), "-c", "postgres", "--", "psql",
                            "-h", "/controller/run", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1",
                            "-tAc", sql, timeout=900)
        return proc.stdout.strip()

    def api_pod(self, namespace):
        pods = self.json("-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=dify-api",
                         "--field-selector", "status.phase=Running")["items"]
        assert pods, "no running dify-api pod in %s" % namespace
        return pods[0]["metadata"]["name"]

    def api_exec(self, namespace, script, data=None, timeout=600):
        return self.kubectl("-n", namespace, "exec", "-i", self.api_pod(namespace), "-c", "api", "--",
                            "sh", "-c", script, data=data, timeout=timeout)

    def secret(self, namespace, name, key):
        data = self.json("-n", namespace, "get", "secret", name)["data"]
        return base64.b64decode(data[key]).decode()

    @contextmanager
    def port_forward(self, namespace, target, remote_port):
        """A local port forwarded to ``target`` (svc/name), restarted while the context lasts (the target may not exist yet)."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        loop = ("while true; do '%s' --kubeconfig '%s' -n '%s' port-forward --address 127.0.0.1 '%s' %d:%d "
                ">/dev/null 2>&1; sleep 2; done" % (KUBECTL, self.kubeconfig, namespace, target, port, remote_port))
        proc = subprocess.Popen(["bash", "-c", loop], start_new_session=True)
        try:
            yield "http://127.0.0.1:%d" % port
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)


def playbook(name, inventories, extra_vars, kubeconfig, tmp_path):
    """ansible-playbook airgap.dify_platform.<name> against the kind cluster; extra vars from a 0600 file."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="false",
               K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    # An inherited callback (profile_tasks, say) would print after the json document and make it unreadable.
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    path = tmp_path / ("%s-vars.json" % name)
    path.write_text(json.dumps(extra_vars))
    path.chmod(0o600)
    proc = subprocess.run([ANSIBLE_PLAYBOOK, *[a for i in inventories for a in ("-i", str(i))], "-e", "@" + str(path),
                           "airgap.dify_platform.%s" % name], env=env, capture_output=True, text=True, timeout=5400,
                          check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def failure(run):
    return "\n".join(json.dumps(r)[:2000] for r in run.results if r.get("failed")) or (run.stdout[-3000:] + run.stderr[-2000:])


def prepare(again=True):
    """drill-backup.sh prepare (unless ``again`` is false), then its facts (registry, S3 endpoint, CA, credentials)."""
    # The node engine is the scripts' choice (hack/kind/engine.sh: AIRGAP_KIND_PROVIDER, kind's own variable).
    env = dict(os.environ, AIRGAP_KIND_CLUSTER=CLUSTER, PYTHON=sys.executable)
    if again:
        proc = subprocess.run([str(SCRIPT), "prepare"], env=env, capture_output=True, text=True, timeout=5400, check=False)
        assert proc.returncode == 0, proc.stderr[-4000:]
    facts = subprocess.run([str(SCRIPT), "facts"], env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(facts.stdout)
