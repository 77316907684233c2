"""Redis is never started without its password.

Seen on kind with a misspelt env name (REDIS_PASSWROD): the start script's ``set -u`` did not
stop at ``printf '%s' "$REDIS_PASSWORD" | sed ...`` (an error inside a pipeline in a command
substitution), so redis-server started with ``requirepass ""``: an open Redis, Ready, with
"REDIS_PASSWORD: parameter not set" as its only trace in the log. The rendered script is run
here with the image's /bin/sh and a stand-in ``redis-server`` that reports what it was given.
"""

import os
import subprocess

import pytest

from helpers.redis_render import redis_containers


@pytest.fixture(scope="module")
def scripts():
    found = redis_containers()
    assert len(found) >= 2, sorted(found)
    return found


def run(container, env, tmp_path):
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho \"redis-server started: $*\"\ncat\n")
    fake.chmod(0o755)
    command = container["command"]
    assert command[:2] == ["sh", "-c"], command
    return subprocess.run(["/bin/sh", "-c", command[2], *command[3:], *container["args"]], capture_output=True, text=True,
                          env=dict(env, PATH="%s:%s" % (tmp_path, os.environ["PATH"])), timeout=30, check=False)


@pytest.mark.parametrize("env", [{}, {"REDIS_PASSWORD": ""}, {"REDIS_PASSWROD": "s3cret"}], ids=["unset", "empty", "misspelt"])
def test_no_password_no_redis(scripts, env, tmp_path):
    for name, container in scripts.items():
        proc = run(container, env, tmp_path)
        assert proc.returncode != 0, "%s: %s" % (name, proc.stdout)
        assert "redis-server started" not in proc.stdout, name
        assert "REDIS_PASSWORD is unset or empty" in proc.stderr, (name, proc.stderr)


def test_with_its_password_redis_starts_and_reads_it_on_stdin(scripts, tmp_path):
    for name, container in scripts.items():
        proc = run(container, {"REDIS_PASSWORD": "s3cret"}, tmp_path)
        assert proc.returncode == 0, (name, proc.stderr)
        assert "redis-server started" in proc.stdout and 'requirepass "s3cret"' in proc.stdout, name
