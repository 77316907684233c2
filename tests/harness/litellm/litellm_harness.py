"""A real LiteLLM proxy on a real PostgreSQL, for the integration tests and the benchmark.

What it builds (once, cached under ``${AIRGAP_CACHE:-~/.cache/airgap-dify-platform}/litellm``):

- ``venv-<hash>``: a virtualenv with ``litellm[proxy]`` and ``prisma`` (prisma-client-py)
  pinned by ``requirements.txt`` and ``constraints.txt``, apart from the collection's venv;
- ``node-<hash>``: ``npm ci`` of ``package.json``/``package-lock.json``: the Prisma CLI,
  Prisma's WebAssembly query engine, ``@prisma/adapter-pg`` and ``pg``;
- the generated Prisma client inside that venv (``prisma generate`` on LiteLLM's schema).

What it starts (per session, in temporary directories, on free loopback ports):

- a throwaway PostgreSQL cluster (initdb/pg_ctl; run as the ``postgres`` system user when
  this process is root), with a ``litellm`` role and database whose schema comes from the SQL
  migrations that ``litellm-proxy-extras`` ships, applied with psql;
- the LiteLLM proxy, with ``PRISMA_QUERY_ENGINE_BINARY`` pointing at ``query-engine``
  (which runs ``query-engine-adapter.mjs``): it serves the query-engine HTTP protocol with
  the WebAssembly engine (the native engine cannot be downloaded here).

Use it from Python (``get_stack()``) or from the command line::

    python tests/harness/litellm/litellm_harness.py prepare   # build the caches only
    python tests/harness/litellm/litellm_harness.py serve     # start, print URL and key, wait for Ctrl-C

Set ``LITELLM_TEST_URL`` and ``LITELLM_TEST_MASTER_KEY`` to use a proxy that is already running.
"""

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADAPTER = HERE / "query-engine"  # runs query-engine-adapter.mjs with node
START_TIMEOUT = float(os.environ.get("LITELLM_TEST_START_TIMEOUT", "300"))
INSTALL_TIMEOUT = 1800

# Fake deployments: keys may name them in `models`; nothing ever calls them.
MODELS = ("gpt-test", "gpt-test-mini", "embed-test")


def log(message):
    sys.stderr.write("[litellm-harness] %s\n" % message)
    sys.stderr.flush()


def cache_dir():
    root = os.environ.get("AIRGAP_CACHE") or str(Path.home() / ".cache" / "airgap-dify-platform")
    path = Path(root) / "litellm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(*paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _cache_lock():
    """One builder at a time (parallel test workers share the cache)."""
    with open(cache_dir() / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd, **kwargs):
    kwargs.setdefault("timeout", INSTALL_TIMEOUT)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%s):\n%s\n%s" % (" ".join(map(str, cmd)), proc.returncode,
                                                        proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def engine_commit():
    """The engine commit of the pinned WebAssembly engine (its npm version ends with it)."""
    version = json.loads((HERE / "package.json").read_text())["dependencies"]["@prisma/query-engine-wasm"]
    return version.rsplit(".", 1)[1]


def prisma_cli_version():
    return json.loads((HERE / "package.json").read_text())["dependencies"]["prisma"]


# ------------------------------------------------------------------ cached builds

def ensure_venv():
    """The LiteLLM virtualenv, created and installed when missing."""
    venv = cache_dir() / ("venv-" + _digest(HERE / "requirements.txt", HERE / "constraints.txt"))
    stamp = venv / ".installed"
    if stamp.exists():
        return venv
    with _cache_lock():
        if stamp.exists():
            return venv
        started = time.monotonic()
        log("installing litellm[proxy] into %s (first run only)" % venv)
        shutil.rmtree(str(venv), ignore_errors=True)
        python = os.environ.get("LITELLM_TEST_PYTHON") or sys.executable
        _run([python, "-m", "venv", str(venv)])
        _run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
              "-r", str(HERE / "requirements.txt"), "-c", str(HERE / "constraints.txt")])
        stamp.write_text("%.0f s\n" % (time.monotonic() - started))
    return venv


def ensure_node_modules():
    """A directory with node_modules installed from the committed lockfile."""
    node_dir = cache_dir() / ("node-" + _digest(HERE / "package.json", HERE / "package-lock.json"))
    stamp = node_dir / ".installed"
    if stamp.exists():
        return node_dir
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("the LiteLLM harness needs Node.js 18+ and npm (Debian: apt-get install nodejs npm)")
    with _cache_lock():
        if stamp.exists():
            return node_dir
        log("npm ci for the query-engine adapter into %s (first run only)" % node_dir)
        shutil.rmtree(str(node_dir), ignore_errors=True)
        node_dir.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(str(HERE / name), str(node_dir / name))
        # --ignore-scripts: @prisma/engines' postinstall would try to download native engines.
        _run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=str(node_dir))
        stamp.write_text("ok\n")
    return node_dir


def prisma_env(node_dir):
    """Environment that makes prisma-client-py use the pinned CLI and the adapter as its engine."""
    return {
        "LITELLM_HARNESS_NODE_DIR": str(node_dir),
        "PRISMA_QUERY_ENGINE_BINARY": str(ADAPTER),
        # Never run for real (DISABLE_SCHEMA_UPDATE); set so that the CLI does not try to download it.
        "PRISMA_SCHEMA_ENGINE_BINARY": str(ADAPTER),
        "PRISMA_VERSION": prisma_cli_version(),
        "PRISMA_EXPECTED_ENGINE_VERSION": engine_commit(),
        # prisma-client-py looks for node_modules/prisma/build/index.js here before installing the CLI.
        "PRISMA_BINARY_CACHE_DIR": str(node_dir),
        "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        "CHECKPOINT_DISABLE": "1",
    }


def site_packages(venv):
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise RuntimeError("no site-packages in %s" % venv)
    return found[0]


def ensure_client(venv, node_dir):
    """Generate the Prisma client for LiteLLM's schema inside the venv (once per schema and engine)."""
    schema = site_packages(venv) / "litellm" / "proxy" / "schema.prisma"
    # The generated client embeds the engine's path (and runs it at connect), so a moved checkout regenerates.
    where = hashlib.sha256(str(ADAPTER).encode()).hexdigest()[:8]
    stamp = venv / (".prisma-generated-%s-%s" % (_digest(schema, HERE / "package-lock.json"), where))
    if stamp.exists():
        return
    with _cache_lock():
        if stamp.exists():
            return
        log("prisma generate for LiteLLM's schema (first run only)")
        env = dict(os.environ, **prisma_env(node_dir))
        env["PATH"] = "%s:%s" % (venv / "bin", env.get("PATH", ""))
        with tempfile.TemporaryDirectory() as tmp:
            _run([str(venv / "bin" / "prisma"), "generate", "--schema", str(schema)], cwd=tmp, env=env)
        stamp.write_text("ok\n")


def prepare():
    """Build every cached piece; returns (venv, node_dir)."""
    venv = ensure_venv()
    node_dir = ensure_node_modules()
    ensure_client(venv, node_dir)
    return venv, node_dir


# ------------------------------------------------------------------- PostgreSQL

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bindir():
    override = os.environ.get("LITELLM_TEST_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                        if p.parent.name.isdigit() else 0)
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists():
            return candidate
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql "
                       "(or set LITELLM_TEST_PG_BINDIR)")


class Postgres:
    """A throwaway cluster on a loopback port, its data in a temporary directory."""

    def __init__(self):
        self.bindir = postgres_bindir()
        self.workdir = None
        self.port = None
        self.password = secrets.token_urlsafe(18)
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def _as_owner(self, cmd):
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="litellm-pg-"))
        if self.run_as:
            shutil.chown(str(self.workdir), user=self.run_as)
        self.port = free_port()
        data = self.workdir / "data"
        _run(self._as_owner([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                             "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"]), timeout=300)
        options = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
                  "-c full_page_writes=off -c max_connections=200" % (self.port, self.workdir)
        _run(self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options,
                             "-l", str(self.workdir / "postgres.log"), "-w", "-t", "120", "start"]), timeout=300)
        self.psql("CREATE ROLE litellm LOGIN PASSWORD '%s'" % self.password)
        self.psql("CREATE DATABASE litellm OWNER litellm")
        return self

    def psql(self, sql, database="postgres"):
        return _run([str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.workdir),
                     "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql], timeout=120)

    @property
    def url(self):
        return "postgresql://litellm:%s@127.0.0.1:%d/litellm" % (self.password, self.port)

    def apply_migrations(self, migrations_dir):
        """Every migration.sql, in order, as the litellm role, the way `prisma migrate deploy` would."""
        files = sorted(p / "migration.sql" for p in Path(migrations_dir).iterdir() if (p / "migration.sql").is_file())
        if not files:
            raise RuntimeError("no migrations in %s" % migrations_dir)
        script = "\n".join("-- %s\n%s\n" % (f.parent.name, f.read_text()) for f in files)
        env = dict(os.environ, PGPASSWORD=self.password)
        proc = subprocess.run([str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "litellm", "-d", "litellm", "-f", "-"],
                              input=script, env=env, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if "NOTICE" not in line]
            raise RuntimeError("applying %d migrations failed:\n%s" % (len(files), "\n".join(errors[-20:])))
        return len(files)

    def stop(self):
        if self.workdir is None:
            return
        data = self.workdir / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self._as_owner([str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                           "-w", "stop"]), capture_output=True, timeout=120, check=False)
        shutil.rmtree(str(self.workdir), ignore_errors=True)
        self.workdir = None


# -------------------------------------------------------------------- LiteLLM

CONFIG = """\
model_list:
%s
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
  disable_prisma_schema_update: true
litellm_settings:
  telemetry: false
"""

MODEL_ENTRY = """\
  - model_name: %s
    litellm_params:
      model: openai/%s
      api_base: http://127.0.0.1:9/v1
      api_key: not-used
"""


class LiteLLMProxy:
    """One `litellm --config` process on a loopback port."""

    def __init__(self, venv, node_dir, database_url):
        self.venv = venv
        self.node_dir = node_dir
        self.database_url = database_url
        # LiteLLM refuses weak master keys such as sk-1234.
        self.master_key = "sk-" + secrets.token_urlsafe(32)
        self.salt_key = "sk-" + secrets.token_urlsafe(32)
        self.workdir = None
        self.process = None
        self.url = None
        self.log_path = None

    def start(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="litellm-proxy-"))
        config = self.workdir / "config.yaml"
        config.write_text(CONFIG % "".join(MODEL_ENTRY % (name, name) for name in MODELS))
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        env = dict(os.environ, **prisma_env(self.node_dir))
        env.update({
            "PATH": "%s:%s" % (self.venv / "bin", os.environ.get("PATH", "")),
            "DATABASE_URL": self.database_url,
            "LITELLM_MASTER_KEY": self.master_key,
            "LITELLM_SALT_KEY": self.salt_key,
            "DISABLE_SCHEMA_UPDATE": "true",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOG": os.environ.get("LITELLM_TEST_LOG_LEVEL", "WARNING"),
            "HOME": str(self.workdir),
        })
        self.log_path = self.workdir / "litellm.log"
        with open(self.log_path, "wb") as handle:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(self.venv / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1",
                 "--port", str(port), "--num_workers", "1"],
                cwd=str(self.workdir), env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("LiteLLM exited with %s:\n%s" % (self.process.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/health/readiness", timeout=10) as response:  # noqa: S310
                    body = json.loads(response.read())
                if body.get("db") == "connected":
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError("LiteLLM not ready after %ss:\n%s" % (START_TIMEOUT, self.log_tail()))

    def log_tail(self, lines=60):
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        # The adapter runs in LiteLLM's process group (prisma-client-py starts it), so it stops too.
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.workdir is not None and not os.environ.get("LITELLM_TEST_KEEP_LOGS"):
            shutil.rmtree(str(self.workdir), ignore_errors=True)
            self.workdir = None


class Stack:
    """PostgreSQL plus LiteLLM, or an external proxy given by LITELLM_TEST_URL."""

    def __init__(self):
        self.postgres = None
        self.proxy = None
        self.url = None
        self.master_key = None
        self.timings = {}
        self.migration_count = 0

    def start(self):
        started = time.monotonic()
        venv, node_dir = prepare()
        self.timings["prepare"] = time.monotonic() - started
        mark = time.monotonic()
        self.postgres = Postgres().start()
        migrations = site_packages(venv) / "litellm_proxy_extras" / "migrations"
        self.migration_count = self.postgres.apply_migrations(migrations)
        self.timings["postgres"] = time.monotonic() - mark
        mark = time.monotonic()
        self.proxy = LiteLLMProxy(venv, node_dir, self.postgres.url).start()
        self.timings["litellm"] = time.monotonic() - mark
        self.url, self.master_key = self.proxy.url, self.proxy.master_key
        return self

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def api(self, method, path, body=None, key=None, headers=None, timeout=60):
        """(status, parsed JSON) of one request with the master key (or ``key``, plus extra ``headers``)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = dict({"Authorization": "Bearer " + (key or self.master_key), "Content-Type": "application/json"},
                       **(headers or {}))
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (self.url is http)
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def all_keys(self, **filters):
        """Every live key, full objects, read page by page."""
        found, page = [], 1
        while True:
            query = dict(filters, return_full_object="true", size="100", page=str(page))
            status, body = self.api("GET", "/key/list?" + urllib.parse.urlencode(query))
            assert status == 200, (status, body)
            found.extend(body["keys"])
            if page >= (body.get("total_pages") or 1):
                return found
            page += 1

    def key(self, alias):
        matches = [k for k in self.all_keys(key_alias=alias) if k.get("key_alias") == alias]
        return matches[0] if matches else None


_STACK = None
_LOCK = threading.Lock()


def get_stack():
    """The one stack of this process, started on first use and stopped at exit."""
    global _STACK  # pylint: disable=global-statement
    with _LOCK:
        if _STACK is None:
            stack = Stack()
            if os.environ.get("LITELLM_TEST_URL"):
                stack.url = os.environ["LITELLM_TEST_URL"].rstrip("/")
                stack.master_key = os.environ["LITELLM_TEST_MASTER_KEY"]
            else:
                atexit.register(stack.stop)
                stack.start()
            _STACK = stack
        return _STACK


def main(argv):
    command = argv[1] if len(argv) > 1 else "serve"
    if command == "prepare":
        started = time.monotonic()
        venv, node_dir = prepare()
        print("venv: %s\nnode_modules: %s\nready in %.1f s" % (venv, node_dir, time.monotonic() - started))
        return 0
    if command == "serve":
        stack = Stack()
        try:
            stack.start()
            print("LITELLM_URL=%s" % stack.url)
            print("LITELLM_MASTER_KEY=%s" % stack.master_key)
            print("DATABASE_URL=%s" % stack.postgres.url)
            print("# started in %s; Ctrl-C stops and removes everything" % {
                k: round(v, 1) for k, v in stack.timings.items()})
            sys.stdout.flush()
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while stack.proxy.process.poll() is None:
                time.sleep(1)
            print(stack.proxy.log_tail())
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            stack.stop()
    sys.stderr.write("usage: %s [prepare|serve]\n" % argv[0])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
