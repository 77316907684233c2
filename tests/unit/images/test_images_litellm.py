"""The LiteLLM image recipe: its `prisma` shim (hack/images/litellm/prisma-shim.py) and the role's contract."""

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from airgap_images import recipe as recipes
from airgap_images.recipe import Recipe

REPO = Path(__file__).resolve().parents[3]
HERE = recipes.IMAGES_DIR / "litellm"
HARNESS = REPO / "tests" / "harness" / "litellm"
ROLE = REPO / "roles" / "litellm"


def _shim():
    spec = importlib.util.spec_from_file_location("prisma_shim", HERE / "prisma-shim.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shim = _shim()


def test_the_url_psql_gets_has_only_libpq_parameters_and_the_schema_is_kept_apart():
    url, schema = shim.libpq_url("postgresql://u:p%40ss@db.example:5432/litellm?connection_limit=10&pool_timeout=30"
                                 "&schema=tenant&sslmode=require&pgbouncer=true&application_name=x")
    assert url == "postgresql://u:p%40ss@db.example:5432/litellm?sslmode=require&application_name=x"
    assert schema == "tenant"
    assert shim.libpq_url("postgres://u:p@h/db")[1] == "public"
    with pytest.raises(shim.ShimError, match="P1013"):
        shim.libpq_url("mysql://u:p@h/db")


def test_the_datasource_url_comes_from_the_env_var_the_schema_names():
    schema = 'datasource client {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    assert shim.datasource_env(schema) == "DATABASE_URL"
    assert shim.datasource_url(schema, {"DATABASE_URL": "postgresql://a"}) == "postgresql://a"
    with pytest.raises(shim.ShimError, match="Environment variable not found: DATABASE_URL"):
        shim.datasource_url(schema, {})
    literal = 'datasource db {\n  provider = "postgresql"\n  url = "postgresql://lit"\n}\n'
    assert shim.datasource_url(literal, {}) == "postgresql://lit"


def test_schema_argument_forms():
    assert shim.schema_path(["migrate", "deploy"]) == Path("schema.prisma")
    assert shim.schema_path(["migrate", "deploy", "--schema", "/x/s.prisma"]) == Path("/x/s.prisma")
    assert shim.schema_path(["migrate", "deploy", "--schema=/y/s.prisma"]) == Path("/y/s.prisma")


def test_local_migrations_are_sorted_and_odd_names_refused(tmp_path):
    # LiteLLM ships names with spaces (20251122125322_Add organization_id to spend logs).
    for name in ("20250327180120_b", "20250326162113_baseline", "20251122125322_Add org_id to logs", "migration_lock.toml"):
        (tmp_path / name).mkdir() if not name.endswith(".toml") else (tmp_path / name).write_text("x")
    for name in ("20250327180120_b", "20250326162113_baseline", "20251122125322_Add org_id to logs"):
        (tmp_path / name / "migration.sql").write_text("SELECT 1;")
    (tmp_path / "20250401000000_empty").mkdir()  # no migration.sql: not a migration
    assert [name for name, _path in shim.local_migrations(tmp_path)] == [
        "20250326162113_baseline", "20250327180120_b", "20251122125322_Add org_id to logs"]
    bad = tmp_path / "1_x'; DROP"
    bad.mkdir()
    (bad / "migration.sql").write_text("SELECT 1;")
    with pytest.raises(shim.ShimError, match="unexpected migration directory name"):
        shim.local_migrations(tmp_path)


def test_concurrently_outside_comments_is_what_keeps_a_migration_out_of_a_transaction():
    assert shim.needs_no_transaction('CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "t"("c");')
    assert not shim.needs_no_transaction("-- switch to CREATE INDEX CONCURRENTLY later\nCREATE INDEX i ON t(c);")
    assert not shim.needs_no_transaction("/* CONCURRENTLY */ ALTER TABLE t ADD COLUMN c TEXT;")


def test_the_deploy_script_locks_records_and_guards_each_migration(tmp_path):
    one, two = tmp_path / "a.sql", tmp_path / "b.sql"
    plan = [("20250101000000_a", one, "c" * 64, "id-1", True), ("20250102000000_b", two, "d" * 64, "id-2", False)]
    script = shim.deploy_script(plan, "public")
    lines = script.splitlines()
    assert lines[0] == "\\set ON_ERROR_STOP on"
    assert "SELECT pg_advisory_lock(72707369);" in lines and lines[-1] == "SELECT pg_advisory_unlock(72707369);"
    assert 'CREATE TABLE IF NOT EXISTS "_prisma_migrations"' in script
    assert script.count("\\if :pending") == 2 and script.count("\\endif") == 2
    first = script.split("\\set name '20250101000000_a'", 1)[1].split("\\endif", 1)[0]
    assert "BEGIN;\n\\i '%s'\nCOMMIT;" % one in first
    assert "'id-1', '%s'" % ("c" * 64) in first and "finished_at = now()" in first
    second = script.split("\\set name '20250102000000_b'", 1)[1].split("\\endif", 1)[0]
    assert "BEGIN;" not in second and "\\i '%s'" % two in second
    assert shim.applied_names("x\nApplying migration `20250101000000_a`\ny\n") == ["20250101000000_a"]
    with pytest.raises(shim.ShimError, match="unsupported character"):
        shim.deploy_script([("20250101000000_a", tmp_path / "it's.sql", "c", "i", True)], "public")


def test_schema_engine_commands_are_refused_and_the_rest_runs_the_real_cli(monkeypatch, capsys):
    assert shim.main(["migrate", "diff", "--from-url", "x", "--to-schema-datamodel", "./schema.prisma"]) == 1
    assert "needs Prisma's native schema engine" in capsys.readouterr().err
    assert shim.main(["db", "push", "--accept-data-loss"]) == 1
    calls = []
    monkeypatch.setattr(shim.os, "execv", lambda path, argv: calls.append((path, argv)))
    shim.main(["--version"])
    shim.main(["generate", "--schema", "s.prisma"])
    assert calls == [(shim.REAL_PRISMA, [shim.REAL_PRISMA, "--version"]),
                     (shim.REAL_PRISMA, [shim.REAL_PRISMA, "generate", "--schema", "s.prisma"])]


def test_deploy_without_a_schema_file_fails_like_prisma(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert shim.main(["migrate", "deploy"]) == 1
    assert "Could not find Prisma Schema" in capsys.readouterr().err


# --- the recipe against the harness and the role ------------------------------------------------

def test_the_harness_files_are_referenced_not_copied():
    for link in (HERE / "harness").iterdir():
        assert link.is_symlink(), "%s must link to tests/harness/litellm" % link
        assert link.resolve() == (HARNESS / link.name).resolve()


def test_prisma_env_matches_the_harness_pins():
    env = Recipe("litellm").data["config"]["env"]
    deps = json.loads((HARNESS / "package.json").read_text())["dependencies"]
    assert env["PRISMA_VERSION"] == deps["prisma"]
    assert env["PRISMA_EXPECTED_ENGINE_VERSION"] == deps["@prisma/query-engine-wasm"].rsplit(".", 1)[1]
    assert env["PATH"].split(":")[0] == "/app/airgap/bin", "the shim must come before the venv's prisma"
    requirements = (HARNESS / "requirements.txt").read_text()
    version = recipes.load_manifest()["litellm"]["version"].lstrip("v")
    assert "litellm[proxy]==%s" % version in requirements


def test_the_role_contract_the_image_serves():
    recipe = Recipe("litellm")
    migrate = (ROLE / "templates" / "migrate.yml.j2").read_text()
    assert "command: [litellm]" in migrate and "--skip_server_startup" in migrate
    proxy = (ROLE / "templates" / "litellm.yml.j2").read_text()
    assert "command: [litellm]" in proxy and "/health/readiness" in proxy
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    empty_dirs = {m["name"] for m in role_vars["__litellm_volumes"] if "emptyDir" in m}
    mounts = [m["mountPath"] for m in role_vars["__litellm_volume_mounts"] if m["name"] in empty_dirs]
    assert sorted(recipe.data["smoke"]["mounts"]) == sorted(mounts)
    assert role_vars["__litellm_migration_dir"].startswith(tuple(mounts))
    assert recipe.data["smoke"]["env"]["LITELLM_MIGRATION_DIR"] == role_vars["__litellm_migration_dir"]
    assert str(role_vars["__litellm_port"]) in recipe.data["config"]["cmd"]
    assert re.search(r"\bpsql\b", (HERE / "prisma-shim.py").read_text())
    assert "postgresql-client-17" in recipe.packages() and "nodejs" in recipe.packages()


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (the adapter is JavaScript)")
def test_the_adapter_answers_a_null_as_prisma_null(tmp_path):
    """prisma-client-py deserialises a raw column by its prisma__type; a NULL under `bigint` broke
    LiteLLM's virtual-key lookup in the image ("int() argument must be ... not 'NoneType'")."""
    script = tmp_path / "check.mjs"
    script.write_text(
        "import { rawRows } from %s\n"
        "console.log(JSON.stringify(rawRows({columns: ['a', 'b', 'c'], types: ['bigint', 'bigint', 'string-array'],"
        " rows: [[null, '5', ['x', null]]]})))\n" % json.dumps((HARNESS / "query-engine-adapter.mjs").as_uri()))
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True, timeout=60)
    row = json.loads(out.stdout)[0]
    assert row["a"] == {"prisma__type": "null", "prisma__value": None}
    assert row["b"] == {"prisma__type": "bigint", "prisma__value": "5"}
    assert row["c"]["prisma__value"][1] == {"prisma__type": "null", "prisma__value": None}


def test_the_callbacks_the_role_can_turn_on_are_installed():
    """The role adds the `prometheus` callback (observability) and the `langfuse` ones; LiteLLM imports
    prometheus_client and langfuse for them, which litellm[proxy] alone does not install (the first
    image exited at start-up with "No module named 'prometheus_client'")."""
    config = (ROLE / "templates" / "config.yml.j2").read_text()
    pins = {line.split("==")[0].split("[")[0].lower() for line in (HERE / "requirements-image.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    for callback, package in (("'prometheus'", "prometheus-client"), ("'langfuse'", "langfuse")):
        assert callback in config
        assert package in pins, "%s callback: %s missing from requirements-image.txt" % (callback, package)
    smoke = yaml.safe_load((HERE / "smoke" / "config-db.yaml").read_text())["litellm_settings"]
    assert smoke["callbacks"] == ["prometheus"] and smoke["success_callback"] == ["langfuse"]
