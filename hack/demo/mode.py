#!/usr/bin/env python
"""Where `make demo` runs the platform: on kind (real pods) or on the kwok local control plane.

Prints ``kind`` or ``kwok`` on stdout, and on stderr why, in one clear line. AIRGAP_DEMO=kind
or AIRGAP_DEMO=kwok decides; otherwise kind is chosen when a container engine kind can use
answers: podman (``podman info`` succeeds, with hack/kind's containers.conf), or a Docker
engine that is not podman behind a docker CLI (hack/kind/lib.sh kind_engine says why that
one counts as podman). KIND_EXPERIMENTAL_PROVIDER names the engine, as for hack/kind.
``choose`` is the pure decision; ``probe`` gathers the facts.
"""

import os
import shutil
import subprocess
import sys

KIND_WHY = "real pods: kind on {engine}, NetworkPolicy enforced by kube-router, images pulled by digest from the Harbor stand-in"
KWOK_WHY = ("falling back to the kwok local control plane: every object admitted, no container started "
            "(kind needs podman or a Docker engine: {reason})")


def choose(requested, engines):
    """(mode, message). ``engines``: {name: (found, answers, detail)} for podman and docker."""
    requested = (requested or "").strip().lower()
    if requested not in ("", "kind", "kwok"):
        raise ValueError("AIRGAP_DEMO=%s: only kind or kwok" % requested)
    if requested == "kwok":
        return "kwok", "AIRGAP_DEMO=kwok: the kwok local control plane (no container is started)"
    working = [name for name, (found, answers, _detail) in engines.items() if found and answers]
    if working:
        engine = working[0]
        prefix = "AIRGAP_DEMO=kind: " if requested == "kind" else ""
        return "kind", prefix + KIND_WHY.format(engine=engine)
    reasons = []
    for name, (found, _answers, detail) in engines.items():
        reasons.append("%s %s" % (name, ("does not answer (%s)" % detail) if found else "not installed"))
    reason = "; ".join(reasons) or "no engine probed"
    if requested == "kind":
        raise RuntimeError("AIRGAP_DEMO=kind, but no container engine works: " + reason)
    return "kwok", KWOK_WHY.format(reason=reason)


def _answers(argv, env):
    """(exit 0, stdout, the last line of stderr or the exit code)."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, "", str(exc)
    detail = (proc.stderr.strip().splitlines() or [""])[-1][:200]
    return proc.returncode == 0, proc.stdout.strip(), detail or "exit %d" % proc.returncode


def docker_is_an_engine(ok, server):
    """A docker CLI counts only when its daemon answers and is not podman (hack/kind/lib.sh kind_engine)."""
    return ok and server[:1].isdigit() and "podman" not in server.lower()


def probe(environ=None, which=shutil.which):
    """{engine: (found, answers, detail)}, in the order kind would use them (hack/kind/lib.sh)."""
    environ = dict(os.environ if environ is None else environ)
    wanted = environ.get("KIND_EXPERIMENTAL_PROVIDER", "")
    cache = environ.get("AIRGAP_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "airgap-dify-platform")
    engines = {}
    if wanted in ("", "docker") and which("docker"):
        ok, server, detail = _answers(["docker", "version", "--format", "{{.Server.Version}} {{range .Server.Components}}{{.Name}} {{end}}"],
                                      environ)
        # A docker CLI whose server is podman is podman (its Docker API fails kind here).
        engines["docker"] = (True, docker_is_an_engine(ok, server), detail if not ok else "its server is podman: " + server)
    elif wanted in ("", "docker"):
        engines["docker"] = (False, False, "")
    if wanted in ("", "podman"):
        conf = os.path.join(cache, "kind", "containers.conf")
        env = dict(environ, CONTAINERS_CONF=conf) if os.path.exists(conf) else environ
        found = bool(which("podman"))
        ok, _runtime, detail = _answers(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"], env) if found else (False, "", "")
        engines["podman"] = (found, ok, detail)
    # The engine that answers first in kind's order: docker (a real engine), then podman.
    return engines


def main():
    try:
        mode, message = choose(os.environ.get("AIRGAP_DEMO"), probe())
    except (ValueError, RuntimeError) as exc:
        print("[demo] ERROR: %s" % exc, file=sys.stderr)
        return 2
    print("[demo] %s" % message, file=sys.stderr)
    print(mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
