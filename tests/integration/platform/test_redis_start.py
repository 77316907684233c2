"""The rendered Redis container, started for real (Debian's redis-server and /bin/sh, as in the image).

The container's own command, args and environment come from the redis and langfuse roles' templates;
only the data directory and the listening port are moved to a temporary place. It runs under an
arbitrary UID with GID 0, as restricted-v2 runs it. What is checked (issue 14, defect 6): the password
with quotes, backslashes, dollars and spaces is enforced; it is on no command line and not in
redis-server's environment; the eviction policy is the one rendered; redis-server is the process the
runtime started (exec), so SIGTERM stops it cleanly.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from helpers import kubelet
from helpers.redis_render import redis_containers

PASSWORD = 'p@ss "wo\\rd" $HOME `id` x'
ARBITRARY_UID = "1000870000"


def binary(name):
    path = shutil.which(name)
    if path is None:
        raise RuntimeError("%s not found: install Debian's redis-server (hack/ensure-packages.sh redis-server=redis-server)" % name)
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def containers():
    return redis_containers()


def start(container, workdir, port):
    """Start the container's command as the runtime would; return (process, client env)."""
    args = list(container["args"])
    args[args.index("--dir") + 1] = str(workdir)
    args += ["--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    env = {"PATH": os.environ["PATH"]}
    for item in container["env"]:
        assert "valueFrom" in item and item["valueFrom"]["secretKeyRef"]["key"] == "password", item
        env[item["name"]] = PASSWORD
    # The kubelet expands $(VAR) in command and args from the container's environment.
    argv = kubelet.argv(container, env, args)
    # What the runtime is given is kept in the container's configuration (crictl inspect), in
    # execve audit records and in /proc/PID/cmdline until redis-server rewrites its title.
    assert not any("wo\\rd" in word for word in argv), argv
    if os.geteuid() == 0:
        workdir.chmod(0o770)
        os.chown(workdir, int(ARBITRARY_UID), 0)
        argv = ["setpriv", "--reuid", ARBITRARY_UID, "--regid", "0", "--clear-groups", "--", *argv]
    binary("redis-server")
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process


def cli(port, *command, password=None):
    env = {"PATH": os.environ["PATH"]}
    if password is not None:
        env["REDISCLI_AUTH"] = password
    out = subprocess.run([binary("redis-cli"), "-p", str(port), *command], env=env, capture_output=True, text=True, timeout=10,
                         check=False)
    return out.stdout.strip()


@pytest.mark.parametrize("name, policy", [("redis", "allkeys-lru"), ("redis-broker", "noeviction"), ("langfuse-redis", "noeviction")])
def test_the_rendered_redis_starts_with_its_password_off_the_command_line(containers, name, policy):
    port = free_port()
    # Not under pytest's tmp_path, which another UID cannot enter.
    holder = tempfile.TemporaryDirectory(prefix="redis-start-")
    workdir = Path(holder.name)
    process = start(containers[name], workdir, port)
    try:
        deadline = time.monotonic() + 20
        while cli(port, "ping", password=PASSWORD) != "PONG":
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "redis did not answer"
            time.sleep(0.1)
        assert cli(port, "ping").startswith("NOAUTH")
        assert cli(port, "ping", password="not-it") != "PONG"
        assert cli(port, "config", "get", "maxmemory-policy", password=PASSWORD).split() == ["maxmemory-policy", policy]
        proc = Path("/proc") / str(process.pid)
        # The shell replaced itself with redis-server: the runtime's process is the server.
        assert proc.joinpath("comm").read_text().strip() == "redis-server"
        for leak in ("cmdline", "environ"):
            assert b"wo\\rd" not in proc.joinpath(leak).read_bytes(), leak
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        assert "wo\\rd" not in ps
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        holder.cleanup()
