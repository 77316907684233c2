"""Which container engine kind runs on (hack/kind/engine.sh): docker where a real Docker engine
answers, podman otherwise; AIRGAP_KIND_PROVIDER (or kind's KIND_EXPERIMENTAL_PROVIDER) decides."""

import os
import subprocess

import pytest

from helpers.paths import REPO

ENGINE_SH = REPO / "hack" / "kind" / "engine.sh"
# What `docker version --format '{{.Server.Version}} {{range .Server.Components}}{{.Name}} {{end}}'`
# printed: a Docker engine (Debian's docker.io, seen on this host), podman's Docker API, nothing.
DOCKER = "20.10.24+dfsg1 Engine containerd runc docker-init "
PODMAN_API = "4.3.1 Podman Engine Conmon OCI Runtime (runc) "


def choose(request, kind_var, server):
    """(exit code, stdout, stderr) of kind_engine_choose, run by bash from engine.sh."""
    proc = subprocess.run(
        ["bash", "-c", 'source "$0"; kind_engine_choose "$@"', str(ENGINE_SH), request, kind_var, server],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


@pytest.mark.parametrize(
    ("request_", "kind_var", "server", "engine"),
    [
        # auto: a Docker engine that answers comes first, as kind's own detection does.
        ("auto", "", DOCKER, "docker"),
        ("", "", DOCKER, "docker"),
        # auto: no docker CLI, or no daemon behind it, or podman behind it: podman.
        ("auto", "", "", "podman"),
        ("auto", "", "Cannot connect to the Docker daemon", "podman"),
        ("auto", "", PODMAN_API, "podman"),
        ("auto", "", "5.0.0 podman engine", "podman"),
        # auto: kind's own variable is honoured.
        ("auto", "podman", DOCKER, "podman"),
        ("auto", "docker", "", "docker"),
        # AIRGAP_KIND_PROVIDER decides, whatever answers.
        ("docker", "", "", "docker"),
        ("podman", "", DOCKER, "podman"),
        ("docker", "docker", "", "docker"),
    ],
)
def test_choice(request_, kind_var, server, engine):
    assert choose(request_, kind_var, server) == (0, engine, "")


@pytest.mark.parametrize(
    ("request_", "kind_var", "message"),
    [
        ("Docker", "", "AIRGAP_KIND_PROVIDER=Docker: only auto, docker or podman"),
        ("auto", "nerdctl", "KIND_EXPERIMENTAL_PROVIDER=nerdctl: only docker or podman"),
        ("docker", "podman", "AIRGAP_KIND_PROVIDER=docker but KIND_EXPERIMENTAL_PROVIDER=podman"),
    ],
)
def test_unknown_or_disagreeing_settings_fail_and_say_why(request_, kind_var, message):
    code, out, err = choose(request_, kind_var, DOCKER)
    assert (code, out) == (2, "")
    assert message in err


@pytest.fixture
def fake_docker(tmp_path):
    """A `docker` on PATH that prints the given server line (or fails) and records each call."""

    def make(server, exit_code=0):
        calls = tmp_path / "calls"
        script = tmp_path / "docker"
        script.write_text("#!/bin/sh\necho \"$*\" >>'%s'\nprintf '%%s\\n' '%s'\nexit %d\n" % (calls, server, exit_code))
        script.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k not in ("AIRGAP_KIND_PROVIDER", "KIND_EXPERIMENTAL_PROVIDER")}
        env["PATH"] = "%s:/usr/bin:/bin" % tmp_path
        return env, calls

    return make


def resolve(env):
    proc = subprocess.run([str(ENGINE_SH)], capture_output=True, text=True, env=env, check=False)
    return proc.returncode, proc.stdout.strip()


def test_resolve_probes_the_docker_engine(fake_docker):
    env, calls = fake_docker(DOCKER)
    assert resolve(env) == (0, "docker")
    assert calls.read_text().startswith("version --format")


def test_resolve_takes_podman_behind_docker_or_a_silent_daemon_for_podman(fake_docker):
    env, _calls = fake_docker(PODMAN_API)
    assert resolve(env) == (0, "podman")
    env, _calls = fake_docker("", exit_code=1)
    assert resolve(env) == (0, "podman")


def test_resolve_asks_docker_nothing_when_a_variable_decides(fake_docker):
    env, calls = fake_docker(DOCKER)
    assert resolve(dict(env, AIRGAP_KIND_PROVIDER="podman")) == (0, "podman")
    assert resolve(dict(env, KIND_EXPERIMENTAL_PROVIDER="podman")) == (0, "podman")
    assert not calls.exists()
