"""hack/local_keycloak.py stop: the whole process group it recorded goes, the JVM included.

kc.sh starts the JVM as its child and the JVM outlives kc.sh for a while; the
old stop waited for kc.sh alone, and `make demo` left a 470 MB JVM running. A
stand-in kc.sh here starts a child that ignores SIGTERM, so only the KILL
after the grace time stops it.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import contextlib

SCRIPT = Path(__file__).resolve().parents[3] / "hack" / "local_keycloak.py"


@pytest.fixture
def local_keycloak(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("local_keycloak_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "STATE", tmp_path)
    return module


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited: it only waits for its parent to read its status.
    stat = Path("/proc/%d/stat" % pid).read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_stop_ends_the_whole_group_even_a_child_that_ignores_term(local_keycloak, tmp_path):
    child_pid_file = tmp_path / "child.pid"
    # The leader (kc.sh) exits on TERM; its child (the JVM) ignores TERM.
    leader = subprocess.Popen(
        [sys.executable, "-c", (
            "import os, signal, subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
            "open(%r, 'w').write(str(child.pid))\n"
            "time.sleep(600)\n") % str(child_pid_file)],
        start_new_session=True)
    deadline = time.monotonic() + 30
    while not (child_pid_file.exists() and child_pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(child_pid_file.read_text())
    threading.Thread(target=leader.wait, daemon=True).start()  # as init reaps kc.sh once start has exited
    time.sleep(0.5)  # the child has set its SIGTERM handler
    (tmp_path / "pid").write_text(str(leader.pid))
    try:
        assert local_keycloak.stop(grace=1) == 0
        leader.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child), "the JVM stand-in outlived stop()"
        assert not (tmp_path / "pid").exists()
    finally:
        for pid in (leader.pid, child):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_stop_without_a_recorded_server_does_nothing(local_keycloak):
    assert local_keycloak.stop() == 0
