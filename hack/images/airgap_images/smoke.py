"""Run a built image the way restricted-v2 would, and check that it serves.

The container gets an arbitrary non-root UID with GID 0, a read-only root,
no capabilities and no privilege escalation; only the paths the role template
mounts (emptyDirs, PVCs) are writable, as tmpfs, and files the role mounts
from ConfigMaps are bind-mounted read-only from the recipe's ``smoke/``
directory. A recipe's ``smoke`` may give:

* ``command``: a one-shot command that must exit 0;
* ``serve`` (the container's args, or ``[]`` for the image's own) with
  ``probe`` (a command run inside with ``podman exec``, whose output must hold
  ``expect``) or ``http`` (``{port, path}``, fetched from the host through a
  published port, which must answer 2xx).
"""

import os
import subprocess
import time
import urllib.error
import urllib.request

# An OpenShift-style UID from a namespace range, never one an image names.
ARBITRARY_USER = "1000770000:0"


def podman(*args, check=True, timeout=120):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


def run_args(recipe, ref):
    smoke = recipe.data.get("smoke") or {}
    argv = ["--user", ARBITRARY_USER, "--read-only", "--read-only-tmpfs=false", "--cap-drop=ALL",
            "--security-opt=no-new-privileges"]
    for path in smoke.get("mounts") or []:
        argv += ["--tmpfs", "%s:rw,mode=1777" % path]
    for target, source in (smoke.get("files") or {}).items():
        argv += ["-v", "%s:%s:ro" % (recipe.dir / source, target)]
    for key, value in (smoke.get("env") or {}).items():
        argv += ["-e", "%s=%s" % (key, value)]
    return argv


def _logs(name):
    out = podman("logs", "--tail", "30", name, check=False)
    return (out.stdout + out.stderr).strip()


def _http_ok(name, port, path):
    out = podman("port", name, "%s/tcp" % port, check=False)
    if out.returncode != 0 or not out.stdout.strip():
        return False
    host = out.stdout.strip().splitlines()[0].replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - podman's notation
    try:
        with urllib.request.urlopen("http://%s%s" % (host, path), timeout=5) as resp:  # noqa: S310 - loopback
            return 200 <= resp.status < 300
    except (OSError, urllib.error.URLError):
        return False


def check(recipe, ref, timeout=120):
    """Run the recipe's smoke checks against ``ref``; return a short description; raise on failure."""
    smoke = recipe.data.get("smoke") or {}
    done = []
    base = run_args(recipe, ref)
    if smoke.get("command"):
        out = podman("run", "--rm", *base, "--entrypoint", smoke["command"][0], ref, *smoke["command"][1:],
                     check=False)
        if out.returncode != 0:
            raise RuntimeError("%s: %s exited %s:\n%s%s" % (ref, smoke["command"], out.returncode, out.stdout, out.stderr))
        done.append("command ok: %s" % (out.stdout.strip().splitlines() or [""])[0][:100])
    if "serve" in smoke:
        name = "airgap-images-smoke-%s-%d" % (recipe.name, os.getpid())
        http = smoke.get("http")
        publish = ["-p", "127.0.0.1::%s" % http["port"]] if http else []
        podman("rm", "-f", name, check=False)
        start = podman("run", "-d", "--name", name, *base, *publish, ref, *recipe.expand(smoke["serve"]), check=False)
        if start.returncode != 0:
            raise RuntimeError("%s: podman run failed: %s" % (ref, start.stderr.strip()))
        try:
            deadline = time.monotonic() + timeout
            while True:
                state = podman("inspect", "-f", "{{.State.Running}}", name, check=False).stdout.strip()
                if state != "true":
                    raise RuntimeError("%s exited before it was ready:\n%s" % (ref, _logs(name)))
                if http:
                    ok = _http_ok(name, http["port"], http["path"])
                else:
                    out = podman("exec", name, *smoke["probe"], check=False)
                    ok = out.returncode == 0 and smoke.get("expect", "") in out.stdout
                if ok:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("%s not ready after %ss:\n%s" % (ref, timeout, _logs(name)))
                time.sleep(1)
            done.append("served as %s, read-only root, probe ok" % ARBITRARY_USER)
        finally:
            podman("rm", "-f", "-t", "2", name, check=False)
    return "; ".join(done) or "no smoke check"
