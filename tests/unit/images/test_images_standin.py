"""The stand-in server answers a component's health paths on its ports and records what it gets."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[3] / "hack" / "images" / "standin" / "server.py"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env, *args):
    return subprocess.Popen([sys.executable, str(SERVER), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _get(port, path, deadline=20):
    end = time.monotonic() + deadline
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s?token=x" % (port, path), timeout=5) as resp:  # noqa: S310 - loopback
                return resp.status, dict(resp.headers), resp.read()
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


@pytest.fixture
def stop():
    procs = []
    yield procs.append
    for proc in procs:
        proc.kill()
        proc.wait(timeout=10)


def test_clickhouse_answers_ping_and_accepts_native_connections(tmp_path, stop):
    http, native = _free_port(), _free_port()
    record = tmp_path / "record.jsonl"
    proc = _start({"STANDIN_COMPONENT": "clickhouse", "CLICKHOUSE_HTTP_PORT": str(http),
                   "CLICKHOUSE_TCP_PORT": str(native), "STANDIN_RECORD": str(record)}, "server")
    stop(proc)
    status, headers, body = _get(http, "/ping")
    assert (status, body) == (200, b"Ok.\n")
    assert headers["X-Stand-In"] == "clickhouse"
    with socket.create_connection(("127.0.0.1", native), timeout=5):
        pass
    status, _headers, body = _get(http, "/__stand_in__/requests")
    entries = json.loads(body)
    assert entries[0]["path"] == "/ping" and entries[0]["query_keys"] == ["token"]
    assert all(entry["stand_in"] for entry in entries)
    assert '"x"' not in record.read_text(), "query values are never recorded"
    assert record.read_text().count("\n") >= 2


def test_dify_api_health_on_its_port(stop):
    port = _free_port()
    proc = _start({"STANDIN_COMPONENT": "dify-api", "DIFY_PORT": str(port), "MODE": "api"})
    stop(proc)
    status, _headers, body = _get(port, "/health")
    assert status == 200 and json.loads(body)["stand_in"] is True


def test_worker_mode_listens_on_nothing_and_stays_up(stop):
    port = _free_port()
    proc = _start({"STANDIN_COMPONENT": "dify-api", "DIFY_PORT": str(port), "MODE": "worker"})
    stop(proc)
    banner = proc.stdout.readline()
    assert banner.startswith("STAND-IN:")
    time.sleep(1)
    assert proc.poll() is None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_flask_runs_once_and_exits_zero():
    """dify's migration Job runs `flask upgrade-db` and must complete (found on kind)."""
    out = subprocess.run([sys.executable, str(SERVER), "flask", "upgrade-db"], env={"STANDIN_COMPONENT": "dify-api"},
                         capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 0 and out.stdout.startswith("STAND-IN:")
    assert '"path": "flask upgrade-db"' in out.stdout


def test_unknown_component_fails():
    out = subprocess.run([sys.executable, str(SERVER)], env={"STANDIN_COMPONENT": "nope"}, capture_output=True,
                         text=True, timeout=30, check=False)
    assert out.returncode != 0 and "STANDIN_COMPONENT must be one of" in out.stderr


def test_sigterm_stops_it_at_once(stop):
    port = _free_port()
    proc = _start({"STANDIN_COMPONENT": "dify-sandbox", "SANDBOX_PORT": str(port)})
    stop(proc)
    _get(port, "/health")
    proc.terminate()
    assert proc.wait(timeout=5) == 0


def test_it_records_the_identity_oauth2_proxy_sends_and_no_credential(tmp_path, stop):
    """The browser test on kind reads who reached Dify from this record (tests/browser/kind)."""
    port = _free_port()
    record = tmp_path / "record.jsonl"
    proc = _start({"STANDIN_COMPONENT": "dify-web", "PORT": str(port), "STANDIN_RECORD": str(record)})
    stop(proc)
    _get(port, "/health")
    request = urllib.request.Request("http://127.0.0.1:%d/apps" % port, headers={  # noqa: S310 - loopback
        "X-Forwarded-Email": "alice@example.test", "X-Forwarded-Groups": "dify-users,other",
        "X-Forwarded-User": "0b1c", "X-Forwarded-Access-Token": "secret-token", "Cookie": "_oauth2_proxy=secret-cookie"})
    with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310 - loopback
        assert resp.status == 200
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    apps = next(entry for entry in entries if entry["path"] == "/apps")
    assert apps["identity"] == {"X-Forwarded-Email": "alice@example.test", "X-Forwarded-Groups": "dify-users,other",
                                "X-Forwarded-User": "0b1c"}
    assert "identity" not in entries[0], "no identity header, no identity recorded"
    assert "secret" not in record.read_text(), "tokens and cookies are never recorded"
