"""make demo's choice (hack/demo/mode.py): kind where a container engine answers, the kwok
local control plane where none does, each with the reason; AIRGAP_DEMO forces one."""

import importlib.util
import shutil
import subprocess
import sys

import pytest

from helpers.paths import REPO

SPEC = importlib.util.spec_from_file_location("demo_mode", REPO / "hack" / "demo" / "mode.py")
mode = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mode)

PODMAN_OK = {"docker": (False, False, ""), "podman": (True, True, "")}
NOTHING = {"docker": (False, False, ""), "podman": (False, False, "")}
DOCKER_DOWN = {"docker": (True, False, "Cannot connect to the Docker daemon"), "podman": (True, False, "cannot re-exec process")}


def test_podman_that_answers_means_kind():
    chosen, message = mode.choose("", PODMAN_OK)
    assert chosen == "kind" and "kind on podman" in message


def test_a_real_docker_engine_comes_first_as_kind_uses_it():
    assert "kind on docker" in mode.choose("", {"docker": (True, True, ""), "podman": (True, True, "")})[1]


def test_no_engine_falls_back_to_kwok_and_says_why():
    chosen, message = mode.choose("", NOTHING)
    assert chosen == "kwok"
    assert message.startswith("falling back to the kwok local control plane")
    assert "docker not installed; podman not installed" in message
    chosen, message = mode.choose(None, DOCKER_DOWN)
    assert chosen == "kwok"
    assert "docker does not answer (Cannot connect to the Docker daemon)" in message
    assert "podman does not answer (cannot re-exec process)" in message


def test_airgap_demo_forces_a_mode_and_kind_without_an_engine_is_an_error():
    assert mode.choose("kwok", PODMAN_OK)[0] == "kwok"
    assert mode.choose(" KIND ", PODMAN_OK)[0] == "kind"
    with pytest.raises(RuntimeError, match="AIRGAP_DEMO=kind, but no container engine works: docker not installed"):
        mode.choose("kind", NOTHING)
    with pytest.raises(ValueError, match="only kind or kwok"):
        mode.choose("minikube", PODMAN_OK)


def test_a_docker_cli_whose_server_is_podman_is_not_a_docker_engine():
    assert mode.docker_is_an_engine(True, "27.5.1 Engine containerd runc docker-init")
    assert not mode.docker_is_an_engine(True, "5.4.2 Podman Engine")
    assert not mode.docker_is_an_engine(False, "")
    assert not mode.docker_is_an_engine(True, "")


def test_the_probe_finds_no_engine_on_a_host_without_one():
    assert mode.probe({"HOME": "/nonexistent"}, which=lambda name: None, provider=lambda env: "podman") == NOTHING


def test_the_command_prints_the_mode_alone_on_stdout(tmp_path):
    env = {"PATH": str(tmp_path), "AIRGAP_DEMO": "kwok", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "demo" / "mode.py")], capture_output=True, text=True, env=env, check=False)
    assert (proc.returncode, proc.stdout) == (0, "kwok\n")
    assert "[demo] AIRGAP_DEMO=kwok" in proc.stderr
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "demo" / "mode.py")], capture_output=True, text=True,
                          env=dict(env, AIRGAP_DEMO="kind"), check=False)
    assert proc.returncode == 2 and proc.stdout == "" and "ERROR: AIRGAP_DEMO=kind, but no container engine works" in proc.stderr


# hack/kind/engine.sh decides which engine kind uses (AIRGAP_KIND_PROVIDER); the demo must ask it,
# not guess: with AIRGAP_KIND_PROVIDER=docker and podman working, `make kind-up` runs on docker.
FAKE_DOCKER_DOWN = "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"
FAKE_DOCKER_UP = "#!/bin/sh\necho '27.5.1 Engine containerd runc docker-init'\n"
FAKE_DOCKER_PODMAN = "#!/bin/sh\necho '5.4.2 Podman Engine'\n"
FAKE_PODMAN_UP = "#!/bin/sh\necho runc\n"
FAKE_PODMAN_DOWN = "#!/bin/sh\necho 'cannot re-exec process' >&2\nexit 125\n"


def demo(tmp_path, docker=None, podman=None, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, script in (("docker", docker), ("podman", podman)):
        if script:
            (bin_dir / name).write_text(script)
            (bin_dir / name).chmod(0o755)
    # engine.sh needs a shell and coreutils; no docker or podman other than the fakes.
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("bash", "timeout"):
        link = tools / tool
        if not link.exists():
            link.symlink_to(shutil.which(tool))
    base = {"PATH": "%s:%s" % (bin_dir, tools), "HOME": str(tmp_path), "AIRGAP_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "demo" / "mode.py")], capture_output=True, text=True,
                          env=dict(base, **env), check=False, timeout=120)
    return proc.returncode, proc.stdout.strip(), proc.stderr


def test_airgap_kind_provider_docker_without_a_docker_engine_falls_back_to_kwok_even_with_podman(tmp_path):
    code, chosen, why = demo(tmp_path, FAKE_DOCKER_DOWN, FAKE_PODMAN_UP, AIRGAP_KIND_PROVIDER="docker")
    assert (code, chosen) == (0, "kwok"), why
    assert "falling back to the kwok local control plane" in why
    assert "AIRGAP_KIND_PROVIDER=docker: docker does not answer (Cannot connect to the Docker daemon)" in why


def test_airgap_kind_provider_podman_is_kind_on_podman_beside_a_docker_engine(tmp_path):
    code, chosen, why = demo(tmp_path, FAKE_DOCKER_UP, FAKE_PODMAN_UP, AIRGAP_KIND_PROVIDER="podman")
    assert (code, chosen) == (0, "kind") and "kind on podman" in why, why
    code, chosen, why = demo(tmp_path, FAKE_DOCKER_UP, FAKE_PODMAN_UP)
    assert (code, chosen) == (0, "kind") and "kind on docker" in why, why


def test_auto_with_podman_behind_docker_and_podman_down_says_why_neither_runs_kind(tmp_path):
    code, chosen, why = demo(tmp_path, FAKE_DOCKER_PODMAN, FAKE_PODMAN_DOWN, AIRGAP_KIND_PROVIDER="auto")
    assert (code, chosen) == (0, "kwok"), why
    assert "docker does not answer (its server is podman: 5.4.2 Podman Engine)" in why
    assert "podman does not answer (cannot re-exec process)" in why


def test_engine_settings_engine_sh_refuses_are_an_error_unless_kwok_is_forced(tmp_path):
    code, chosen, why = demo(tmp_path, None, FAKE_PODMAN_UP, AIRGAP_KIND_PROVIDER="minikube")
    assert (code, chosen) == (2, "") and "AIRGAP_KIND_PROVIDER=minikube: only auto, docker or podman" in why
    code, chosen, why = demo(tmp_path, None, FAKE_PODMAN_UP, AIRGAP_KIND_PROVIDER="docker",
                             KIND_EXPERIMENTAL_PROVIDER="podman")
    assert code == 2 and "set one, or both alike" in why
    code, chosen, why = demo(tmp_path, None, FAKE_PODMAN_UP, AIRGAP_KIND_PROVIDER="minikube", AIRGAP_DEMO="kwok")
    assert (code, chosen) == (0, "kwok"), why
