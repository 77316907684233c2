"""A real Keycloak on loopback for `make demo` and molecule, standing in for the
cluster's Keycloak (kwok runs no containers, so the one the platform would run
cannot answer API calls).

    python hack/local_keycloak.py start   # idempotent: reuses a running server
    python hack/local_keycloak.py stop
    python hack/local_keycloak.py status

It reuses the integration tests' download and Java discovery
(tests/integration/keycloak/keycloak_server.py), runs `kc.sh start-dev` with a
file database under ${AIRGAP_CACHE}/local-keycloak, so that realm and client
secrets survive a restart, and writes the admin password (mode 0600) and the
URL there for the local inventory to read.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration" / "keycloak"))

from keycloak_server import KEYCLOAK_VERSION, cache_dir, ensure_distribution, find_java_home  # noqa: E402

PORT = int(os.environ.get("AIRGAP_LOCAL_KEYCLOAK_PORT", "18380"))
MANAGEMENT_PORT = PORT + 1
STATE = cache_dir().parent / "local-keycloak"
URL = "http://127.0.0.1:%d" % PORT
START_TIMEOUT = 600


def admin_password():
    path = STATE / "admin-password"
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def token_works():
    data = urllib.parse.urlencode({"grant_type": "password", "client_id": "admin-cli",
                                   "username": "admin", "password": admin_password()}).encode()
    try:
        with urllib.request.urlopen(URL + "/realms/master/protocol/openid-connect/token", data=data, timeout=5) as resp:  # noqa: S310 - a fixed http://127.0.0.1 URL
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def running_pid():
    """The recorded pid, if it is still this Keycloak: the leader of its own process group (kc.sh,
    start_new_session) running from this state directory. A pid can be reused after a reboot or a
    crash, even by another process's thread, which os.kill(pid, 0) alone would take for the server."""
    try:
        pid = int((STATE / "pid").read_text())
        os.kill(pid, 0)
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes()
        if os.getpgid(pid) != pid or str(STATE).encode() not in cmdline:
            return None
        return pid
    except (OSError, ValueError):
        return None


def start():
    if running_pid() and token_works():
        print("Keycloak %s already running at %s" % (KEYCLOAK_VERSION, URL))
        return 0
    stop()
    home = STATE / ("keycloak-%s" % KEYCLOAK_VERSION)
    if not (home / "bin" / "kc.sh").exists():
        with zipfile.ZipFile(str(ensure_distribution())) as archive:
            archive.extractall(str(STATE))
        for script in (home / "bin").glob("*.sh"):
            script.chmod(0o755)
    env = dict(os.environ, JAVA_HOME=find_java_home(),
               KC_BOOTSTRAP_ADMIN_USERNAME="admin", KC_BOOTSTRAP_ADMIN_PASSWORD=admin_password())
    log = open(STATE / "keycloak.log", "ab")  # noqa: SIM115 - handed to the detached server
    process = subprocess.Popen(
        [str(home / "bin" / "kc.sh"), "start-dev", "--http-host=127.0.0.1", "--http-port=%d" % PORT,
         "--http-management-port=%d" % MANAGEMENT_PORT, "--db=dev-file"],
        cwd=str(home), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (STATE / "pid").write_text(str(process.pid))
    (STATE / "url").write_text(URL)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print("error: Keycloak exited with %s; see %s" % (process.returncode, STATE / "keycloak.log"), file=sys.stderr)
            return 1
        if token_works():
            print("Keycloak %s running at %s" % (KEYCLOAK_VERSION, URL))
            return 0
        time.sleep(2)
    print("error: Keycloak not ready after %ss; see %s" % (START_TIMEOUT, STATE / "keycloak.log"), file=sys.stderr)
    return 1


def group_alive(pgid):
    """Whether any process of the group ``pgid`` is left (kc.sh's JVM outlives kc.sh for a while)."""
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop(grace=30.0):
    """Stop the server by the pid it recorded: kc.sh leads its own process group (start_new_session),
    so the group holds the JVM too. TERM, up to ``grace`` seconds for every process of it to go, then KILL."""
    pid = running_pid()
    if pid:
        os.killpg(pid, signal.SIGTERM)
        if not wait_group_gone(pid, grace):
            os.killpg(pid, signal.SIGKILL)
            wait_group_gone(pid, 10)
        print("Keycloak stopped (process group %d)" % pid)
    (STATE / "pid").unlink(missing_ok=True)
    return 0


def wait_group_gone(pgid, seconds):
    deadline = time.monotonic() + seconds
    while group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def status():
    up = running_pid() is not None and token_works()
    print("Keycloak at %s: %s" % (URL, "up" if up else "down"))
    return 0 if up else 1


if __name__ == "__main__":
    commands = {"start": start, "stop": stop, "status": status}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print("usage: %s start|stop|status" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
