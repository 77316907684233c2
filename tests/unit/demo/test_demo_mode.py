"""make demo's choice (hack/demo/mode.py): kind where a container engine answers, the kwok
local control plane where none does, each with the reason; AIRGAP_DEMO forces one."""

import importlib.util
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
    assert mode.probe({"HOME": "/nonexistent"}, which=lambda name: None) == NOTHING


def test_the_command_prints_the_mode_alone_on_stdout(tmp_path):
    env = {"PATH": str(tmp_path), "AIRGAP_DEMO": "kwok", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "demo" / "mode.py")], capture_output=True, text=True, env=env, check=False)
    assert (proc.returncode, proc.stdout) == (0, "kwok\n")
    assert "[demo] AIRGAP_DEMO=kwok" in proc.stderr
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "demo" / "mode.py")], capture_output=True, text=True,
                          env=dict(env, AIRGAP_DEMO="kind"), check=False)
    assert proc.returncode == 2 and proc.stdout == "" and "ERROR: AIRGAP_DEMO=kind, but no container engine works" in proc.stderr
