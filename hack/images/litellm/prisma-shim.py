"""`prisma` in the airgap LiteLLM image: `migrate deploy` done with psql, everything else passed on.

A DIFFERENCE FROM THE UPSTREAM IMAGE (docs/kind-images.md). LiteLLM's schema step
(`litellm --skip_server_startup`, the litellm role's migration Job) runs
`prisma migrate deploy` through litellm_proxy_extras (utils.py, _run_database_v2).
The Prisma CLI needs Prisma's native schema engine for that, and no registry
reachable here publishes it (binaries.prisma.sh is not reachable). This file is
first on the image's PATH as `prisma` and does what `migrate deploy` does on
PostgreSQL, with psql, as tests/harness/litellm does for the tests:

* every `migrations/<name>/migration.sql` next to the schema, in name order, that
  the `_prisma_migrations` ledger does not record, is applied and recorded there
  (id, sha256 checksum of the file, started_at, finished_at, applied_steps_count),
  the ledger table being Prisma's own;
* under Prisma's advisory lock (72707369, the key litellm_proxy_extras'
  migration_lock.py waits on as well), each file in a transaction of its own
  unless it runs CREATE INDEX CONCURRENTLY (which cannot);
* Prisma's errors where LiteLLM reads them: P3005 (a non-empty schema without a
  ledger), P3009 (a failed migration recorded; names it in backquotes), P3018
  (a migration failed: "Migration name: <name>"), exit status 1;
* `migrate resolve --applied|--rolled-back <name>` edits the ledger the same way.

`migrate diff`, `db push`, `migrate dev|reset|status` and `db execute` need the
schema engine too: they fail with a message saying so (LiteLLM's start-up diff
check only logs that). Every other command (`--version`, `generate`, ...) runs
prisma-client-py's own CLI, /app/.venv/bin/prisma, unchanged.
"""

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REAL_PRISMA = os.environ.get("AIRGAP_PRISMA_REAL", "/app/.venv/bin/prisma")
PSQL = os.environ.get("AIRGAP_PSQL", "psql")
# Prisma Migrate's advisory lock on PostgreSQL (prisma-engines, schema-engine sql connector).
PRISMA_ADVISORY_LOCK = 72707369
# Prisma's ledger, as its PostgreSQL connector creates it.
LEDGER_DDL = """CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);"""
# LiteLLM's names are <timestamp>_<words>, some with spaces ("20251122125322_Add organization_id
# to spend logs"); a quote, backslash, backquote, slash or line break would break the psql script.
MIGRATION_NAME = re.compile(r"^[0-9]+_[^'\\`/\n\r]+$")
# libpq's URI parameters (PostgreSQL docs, libpq-connect "Parameter Key Words") that a Prisma
# URL may carry; Prisma's own (connection_limit, pool_timeout, schema, pgbouncer, ...) are not
# libpq's and make psql refuse the URI, so only these are kept.
LIBPQ_PARAMS = frozenset((
    "sslmode", "sslcert", "sslkey", "sslrootcert", "sslpassword", "sslcrl", "sslnegotiation",
    "connect_timeout", "application_name", "options", "target_session_attrs", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "gssencmode",
    "channel_binding", "passfile", "host", "hostaddr", "port", "dbname", "user", "password",
))
UNSUPPORTED = (("migrate", "diff"), ("migrate", "dev"), ("migrate", "reset"), ("migrate", "status"),
               ("db", "push"), ("db", "pull"), ("db", "execute"), ("db", "seed"))

P3005 = ("Error: P3005\n\nThe database schema is not empty. Read more about how to baseline an existing "
         "production database: https://pris.ly/d/migrate-baseline")
P3009 = ("Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be "
         "applied. Read more about how to resolve migration issues in a production database: "
         "https://pris.ly/d/migrate-resolve\nThe `{name}` migration started at {started} failed\n")
P3018 = ("Error: P3018\n\nA migration failed to apply. New migrations cannot be applied before the error is "
         "recovered from. Read more about how to resolve migration issues in a production database: "
         "https://pris.ly/d/migrate-resolve\n\nMigration name: {name}\n\nDatabase error:\n{error}\n")


class ShimError(Exception):
    """A failure reported the way the Prisma CLI reports it (message on stderr, exit 1)."""


def schema_path(argv):
    """The --schema argument (``--schema x`` or ``--schema=x``), else ./schema.prisma."""
    for index, arg in enumerate(argv):
        if arg == "--schema" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--schema="):
            return Path(arg.split("=", 1)[1])
    return Path("schema.prisma")


def datasource_env(schema_text):
    """The env var the datasource's url names (``url = env("DATABASE_URL")``), or None for a literal."""
    block = re.search(r"datasource\s+\w+\s*{([^}]*)}", schema_text)
    match = block and re.search(r'url\s*=\s*env\(\s*"([^"]+)"\s*\)', block.group(1))
    return match.group(1) if match else None


def datasource_url(schema_text, environ):
    name = datasource_env(schema_text)
    if name:
        url = environ.get(name)
        if not url:
            raise ShimError("Error: Environment variable not found: %s." % name)
        return url
    block = re.search(r"datasource\s+\w+\s*{([^}]*)}", schema_text)
    literal = block and re.search(r'url\s*=\s*"([^"]+)"', block.group(1))
    if not literal:
        raise ShimError("Error: no datasource url in the schema")
    return literal.group(1)


def libpq_url(url):
    """A Prisma PostgreSQL URL -> (a URL psql accepts, the schema Prisma would use)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ShimError("Error: P1013: the datasource URL must start with postgresql://")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = dict(query).get("schema") or "public"
    kept = [(key, value) for key, value in query if key in LIBPQ_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment)), schema


def local_migrations(migrations_dir):
    """[(name, path)] of every migration directory holding a migration.sql, in name order."""
    found = []
    if Path(migrations_dir).is_dir():
        for entry in sorted(Path(migrations_dir).iterdir()):
            script = entry / "migration.sql"
            if script.is_file():
                if not MIGRATION_NAME.match(entry.name):
                    raise ShimError("Error: unexpected migration directory name %r" % entry.name)
                found.append((entry.name, script))
    return found


def checksum(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _without_comments(sql):
    return re.sub(r"--[^\n]*", "", re.sub(r"/\*.*?\*/", "", sql, flags=re.S))


def needs_no_transaction(sql):
    """True where the script runs CREATE INDEX CONCURRENTLY (which refuses a transaction block)."""
    return re.search(r"\bCONCURRENTLY\b", _without_comments(sql), flags=re.I) is not None


def _psql_literal_path(path):
    text = str(path)
    if "'" in text or "\\" in text or "\n" in text:
        raise ShimError("Error: unsupported character in migration path %r" % text)
    return "'%s'" % text


def deploy_script(migrations, schema):
    """The one psql script that applies every migration the ledger lacks, under Prisma's lock.

    ``migrations`` is [(name, path, checksum, id, transactional)]. Each pending
    migration is announced on stdout as "Applying migration `<name>`" before it runs.
    """
    lines = ["\\set ON_ERROR_STOP on", "\\set QUIET on",
             "SET search_path TO \"%s\";" % schema.replace('"', '""'),
             "SELECT pg_advisory_lock(%d);" % PRISMA_ADVISORY_LOCK, LEDGER_DDL]
    for name, path, digest, ident, transactional in migrations:
        lines += [
            "\\set name '%s'" % name,
            "SELECT NOT EXISTS (SELECT 1 FROM \"_prisma_migrations\" WHERE migration_name = :'name'"
            " AND rolled_back_at IS NULL) AS pending \\gset",
            "\\if :pending",
            "\\echo 'Applying migration `%s`'" % name,
            "INSERT INTO \"_prisma_migrations\" (id, checksum, migration_name, started_at, applied_steps_count)"  # noqa: S608 - uuid4 and a sha256 hex digest, never input
            " VALUES ('%s', '%s', :'name', now(), 0);" % (ident, digest),
        ]
        lines += ["BEGIN;", "\\i %s" % _psql_literal_path(path), "COMMIT;"] if transactional else \
                 ["\\i %s" % _psql_literal_path(path)]
        lines += ["UPDATE \"_prisma_migrations\" SET finished_at = now(), applied_steps_count = 1"  # noqa: S608 - a uuid4
                  " WHERE id = '%s';" % ident, "\\endif"]
    lines.append("SELECT pg_advisory_unlock(%d);" % PRISMA_ADVISORY_LOCK)
    return "\n".join(lines) + "\n"


def applied_names(stdout):
    return re.findall(r"^Applying migration `([^`]+)`$", stdout, flags=re.M)


class Database:
    def __init__(self, url, schema):
        self.url, self.schema = url, schema

    def env(self):
        env = dict(os.environ)
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c search_path=%s" % self.schema).strip()
        return env

    def psql(self, *args, stdin=None):
        return subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url, *args],
                              input=stdin, capture_output=True, text=True, env=self.env(), check=False)

    def query(self, sql):
        out = self.psql("-At", "-F", "\t", "-c", sql)
        if out.returncode != 0:
            raise ShimError("Error: P1001: %s" % out.stderr.strip())
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def state(self):
        """(ledger exists, number of tables in the schema, [(failed name, started_at)])."""
        schema = self.schema.replace("'", "''")
        ledger = self.query("SELECT to_regclass('\"%s\".\"_prisma_migrations\"') IS NOT NULL"
                            % self.schema.replace('"', '""'))[0][0] == "t"
        tables = int(self.query("SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s'"  # noqa: S608 - the schema name, quotes doubled
                                % schema)[0][0])
        failed = []
        if ledger:
            failed = [tuple(row) for row in self.query(
                "SELECT migration_name, started_at FROM \"_prisma_migrations\" WHERE finished_at IS NULL"
                " AND rolled_back_at IS NULL ORDER BY started_at")]
        return ledger, tables, failed


def _database(argv):
    schema_file = schema_path(argv)
    if not schema_file.is_file():
        raise ShimError("Error: Could not find Prisma Schema at %s" % schema_file)
    url, schema = libpq_url(datasource_url(schema_file.read_text(encoding="utf-8"), os.environ))
    return schema_file, Database(url, schema)


def migrate_deploy(argv):
    schema_file, db = _database(argv)
    found = local_migrations(schema_file.parent / "migrations")
    ledger, tables, failed = db.state()
    if not ledger and tables > 0:
        raise ShimError(P3005)
    if failed:
        raise ShimError(P3009.format(name=failed[0][0], started=failed[0][1]))
    print("%d migrations found in %s/migrations" % (len(found), schema_file.parent))
    plan = [(name, path, checksum(path), str(uuid.uuid4()), not needs_no_transaction(path.read_text(encoding="utf-8")))
            for name, path in found]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="prisma-shim-") as script:
        script.write(deploy_script(plan, db.schema))
        script.flush()
        out = db.psql("-f", script.name)
    done = applied_names(out.stdout)
    if out.returncode != 0:
        name = done[-1] if done else "(before the first migration)"
        error = "\n".join(line for line in out.stderr.splitlines() if "NOTICE" not in line).strip()
        if done:
            # psql interpolates :'var' in scripts, not in -c: the statement goes on stdin.
            db.psql("-v", "logs=" + error, "-v", "name=" + name,
                    stdin="UPDATE \"_prisma_migrations\" SET logs = :'logs' WHERE migration_name = :'name'"
                          " AND finished_at IS NULL AND rolled_back_at IS NULL;\n")
        raise ShimError(P3018.format(name=name, error=error))
    for name in done:
        print("Applying migration `%s`" % name)
    if done:
        print("\nThe following migration(s) have been applied:\n\nmigrations/\n%s\n\nAll migrations have been "
              "successfully applied." % "\n".join("  └─ %s/\n    └─ migration.sql" % n for n in done))
    else:
        print("No pending migrations to apply.")
    return 0


def migrate_resolve(argv):
    schema_file, db = _database(argv)
    for flag in ("--applied", "--rolled-back"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            name = argv[argv.index(flag) + 1]
            break
    else:
        raise ShimError("Error: migrate resolve needs --applied <name> or --rolled-back <name>")
    if not MIGRATION_NAME.match(name):
        raise ShimError("Error: P3017: the migration %s could not be found" % name)
    script = schema_file.parent / "migrations" / name / "migration.sql"
    if flag == "--applied":
        if not script.is_file():
            raise ShimError("Error: P3017: the migration %s could not be found" % name)
        sql = (LEDGER_DDL + "\nINSERT INTO \"_prisma_migrations\" (id, checksum, migration_name, started_at,"  # noqa: S608 - values are psql variables (:'name'), quoted by psql
               " finished_at, applied_steps_count) SELECT :'id', :'sum', :'name', now(), now(), 0 WHERE NOT EXISTS"
               " (SELECT 1 FROM \"_prisma_migrations\" WHERE migration_name = :'name' AND finished_at IS NOT NULL"
               " AND rolled_back_at IS NULL);\n")
        out = db.psql("-v", "id=" + str(uuid.uuid4()), "-v", "sum=" + checksum(script), "-v", "name=" + name,
                      stdin=sql)
    else:
        sql = ("UPDATE \"_prisma_migrations\" SET rolled_back_at = now() WHERE migration_name = :'name'"
               " AND finished_at IS NULL AND rolled_back_at IS NULL;\n")
        out = db.psql("-v", "name=" + name, stdin=sql)
    if out.returncode != 0:
        raise ShimError("Error: %s" % out.stderr.strip())
    print("Migration %s marked as %s." % (name, "applied" if flag == "--applied" else "rolled back"))
    return 0


def main(argv):
    words = tuple(arg for arg in argv if not arg.startswith("-"))[:2]
    try:
        if words == ("migrate", "deploy"):
            return migrate_deploy(argv)
        if words == ("migrate", "resolve"):
            return migrate_resolve(argv)
        if words in UNSUPPORTED:
            raise ShimError("Error: `prisma %s` needs Prisma's native schema engine, which this image does not "
                            "have (no registry reachable where it was built publishes it); only `migrate deploy` "
                            "and `migrate resolve` are provided, by /app/airgap/bin/prisma (hack/images/litellm)."
                            % " ".join(words))
    except ShimError as exc:
        sys.stderr.write(str(exc).rstrip("\n") + "\n")
        return 1
    os.execv(REAL_PRISMA, [REAL_PRISMA, *argv])  # noqa: S606 - exec prisma-client-py's CLI with the caller's argv, as the shell would
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
