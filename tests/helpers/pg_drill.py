"""Debian's PostgreSQL server for the backup drill: throwaway instances, WAL archived by barman-cloud.

The server binaries are Debian's (``apt-get install postgresql``, /usr/lib/postgresql/<major>/bin), the
ones tests/harness/litellm runs too. The instances run as the ``postgres`` system user when the tests
run as root (initdb refuses root), on a loopback port and a socket directory of their own.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path


def postgres_bindir():
    """Debian's newest PostgreSQL server bin directory; raises (never skips) when there is none."""
    candidates = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
                        key=lambda p: int(p.parent.name))
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists() and (candidate / "pgbench").exists():
            return candidate
    raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql postgresql-contrib")


class Instance:
    """One PostgreSQL data directory and, while started, its postmaster."""

    def __init__(self, bindir, workdir, name, port):
        self.bindir = Path(bindir)
        self.workdir = Path(workdir)
        self.data = self.workdir / name
        self.name = name
        self.port = port
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def as_owner(self, cmd, env=None):
        """``cmd`` as the data directory's owner, with ``env`` added to its environment (not on its argv)."""
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return prefix + cmd, dict(os.environ, **(env or {}))

    def run(self, cmd, env=None, timeout=3600, check=True, stdin=None):
        argv, environ = self.as_owner(cmd, env)
        proc = subprocess.run(argv, env=environ, input=stdin, capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=str(self.workdir))
        if check and proc.returncode != 0:
            raise RuntimeError("%s exited %d:\n%s\n%s" % (Path(cmd[0]).name, proc.returncode, proc.stdout[-2000:],
                                                          proc.stderr[-3000:]))
        return proc

    def chown(self, path):
        if self.run_as:
            shutil.chown(str(path), user=self.run_as, group=self.run_as)

    def initdb(self):
        self.run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=reject", "--no-sync"], timeout=600)

    def configure(self, settings):
        """Append ``settings`` to postgresql.conf (the last setting of a name wins)."""
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            for key, value in settings.items():
                conf.write("%s = '%s'\n" % (key, str(value).replace("'", "''")))

    def start(self, env=None, timeout=3600):
        """Start the postmaster with ``env`` in its environment (archive and restore commands inherit it)."""
        self.configure({"port": self.port, "listen_addresses": "127.0.0.1",
                        "unix_socket_directories": str(self.workdir)})
        self.run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.workdir / (self.name + ".log")),
                  "-w", "-t", str(timeout), "start"], env=env, timeout=timeout + 60)

    def stop(self, mode="fast"):
        if (self.data / "postmaster.pid").exists():
            self.run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "300", "stop"],
                     check=False, timeout=400)

    def psql(self, sql, database="postgres"):
        """The rows of ``sql`` (tab-separated, unaligned) as a list of strings."""
        proc = self.run([str(self.bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                         str(self.workdir), "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql],
                        timeout=1800)
        return [line for line in proc.stdout.splitlines() if line]

    def wait_promoted(self, timeout=3600):
        """Wait until recovery has ended (the server accepts writes); returns the seconds waited."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                if self.psql("SELECT pg_is_in_recovery()") == ["f"]:
                    return time.monotonic() - start
            except RuntimeError:
                pass
            time.sleep(0.5)
        raise RuntimeError("%s still in recovery after %ds:\n%s" % (self.name, timeout, self.log_tail()))

    def wait_archived(self, wal, timeout=600):
        """Wait until the archiver has archived WAL segment ``wal`` (or a later one)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            row = self.psql("SELECT coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') "
                            "FROM pg_stat_archiver")[0].split("|")
            if row[0] and row[0][:24] >= wal:
                return
            time.sleep(0.5)
        raise RuntimeError("WAL %s not archived in %ds (archiver: %s):\n%s" % (wal, timeout, row, self.log_tail()))

    def log_tail(self, lines=40):
        path = self.workdir / (self.name + ".log")
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def size(self):
        """Bytes of the data directory."""
        return sum(f.stat().st_size for f in self.data.rglob("*") if f.is_file())
