"""The local control plane (hack/localcluster) for tests that need a real API server."""

import os
import subprocess

from helpers.paths import CACHE, REPO


def ensure_local_cluster():
    """Start the local control plane if it is not up (idempotent) and return its kubeconfig path."""
    env = dict(os.environ, AIRGAP_CACHE=str(CACHE))
    proc = subprocess.run([str(REPO / "hack" / "localcluster" / "up.sh")], env=env, capture_output=True,
                          text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError("hack/localcluster/up.sh failed:\n" + proc.stderr[-3000:])
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("KUBECONFIG="), proc.stdout
    return last.split("=", 1)[1]
