#!/usr/bin/env python
"""Where `make demo` runs the platform: on kind (real pods) or on the kwok local control plane.

Prints ``kind`` or ``kwok`` on stdout, and on stderr why, in one clear line. AIRGAP_DEMO=kind
or AIRGAP_DEMO=kwok decides; otherwise kind is chosen when the container engine kind would use
answers. That engine is hack/kind/engine.sh's choice, the one `make kind-up` uses:
AIRGAP_KIND_PROVIDER=docker|podman, or auto (a Docker engine that is not podman behind a docker
CLI, else podman; kind's KIND_EXPERIMENTAL_PROVIDER honoured). podman answers when ``podman info``
succeeds with hack/kind's containers.conf; docker when its daemon answers and is not podman.
Settings engine.sh refuses (an unknown value, two that disagree) are an error, not a fallback.
``choose`` is the pure decision; ``probe`` gathers the facts.
"""

import os
import shutil
import subprocess
import sys

ENGINE_SH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kind", "engine.sh")

KIND_WHY = "real pods: kind on {engine}, NetworkPolicy enforced by kube-router, images pulled by digest from the Harbor stand-in"
KWOK_WHY = ("falling back to the kwok local control plane: every object admitted, no container started "
            "(kind needs podman or a Docker engine: {reason})")


def choose(requested, engines, setting=""):
    """(mode, message). ``engines``: {name: (found, answers, detail)} for the engines probed;
    ``setting``: the engine setting that limited them (e.g. AIRGAP_KIND_PROVIDER=docker), for the message."""
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
    reason = (setting + ": " if setting else "") + ("; ".join(reasons) or "no engine probed")
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


def kind_provider(environ):
    """hack/kind/engine.sh's engine for ``environ`` (docker or podman); ValueError with its reason."""
    code, out, detail = _answers([shutil.which("bash") or "/bin/bash", ENGINE_SH], environ)
    if not code or out not in ("docker", "podman"):
        raise ValueError("hack/kind/engine.sh: " + detail)
    return out


def engine_state(name, environ, cache, which):
    """(found, answers, detail) of one engine."""
    if not which(name):
        return False, False, ""
    if name == "docker":
        ok, server, detail = _answers(["docker", "version", "--format", "{{.Server.Version}} {{range .Server.Components}}{{.Name}} {{end}}"],
                                      environ)
        # A docker CLI whose server is podman is podman (its Docker API fails kind here).
        return True, docker_is_an_engine(ok, server), detail if not ok else "its server is podman: " + server
    conf = os.path.join(cache, "kind", "containers.conf")
    env = dict(environ, CONTAINERS_CONF=conf) if os.path.exists(conf) else environ
    ok, _runtime, detail = _answers(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"], env)
    return True, ok, detail


def probe(environ=None, which=shutil.which, provider=kind_provider):
    """{engine: (found, answers, detail)}: the engine hack/kind/engine.sh chooses; under auto, when it
    chose podman and podman does not answer, docker too (why neither can run kind)."""
    environ = dict(os.environ if environ is None else environ)
    cache = environ.get("AIRGAP_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "airgap-dify-platform")
    chosen = provider(environ)
    engines = {chosen: engine_state(chosen, environ, cache, which)}
    auto = environ.get("AIRGAP_KIND_PROVIDER", "auto") in ("", "auto") and not environ.get("KIND_EXPERIMENTAL_PROVIDER")
    if auto and chosen == "podman" and not engines["podman"][1]:
        engines = dict(docker=engine_state("docker", environ, cache, which), **engines)
    return engines


def engine_setting(environ):
    """The variable that named kind's engine, as NAME=value, or "" under auto."""
    for name in ("AIRGAP_KIND_PROVIDER", "KIND_EXPERIMENTAL_PROVIDER"):
        if environ.get(name, "auto") not in ("", "auto"):
            return "%s=%s" % (name, environ[name])
    return ""


def main():
    requested = os.environ.get("AIRGAP_DEMO")
    try:
        # A forced kwok needs no engine, nor valid engine settings.
        engines = {} if (requested or "").strip().lower() == "kwok" else probe()
        mode, message = choose(requested, engines, engine_setting(os.environ))
    except (ValueError, RuntimeError) as exc:
        print("[demo] ERROR: %s" % exc, file=sys.stderr)
        return 2
    print("[demo] %s" % message, file=sys.stderr)
    print(mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
