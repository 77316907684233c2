"""STAND-IN behaviour for the upgrade test: `flask upgrade-db` fails when STANDIN_MIGRATION_FAIL is set."""

import subprocess
import sys

from helpers.paths import REPO

SERVER = REPO / "hack" / "images" / "standin" / "server.py"


def flask(env):
    return subprocess.run([sys.executable, str(SERVER), "flask", "upgrade-db"], env=dict({"STANDIN_COMPONENT": "dify-api"}, **env),
                          capture_output=True, text=True, timeout=30, check=False)


def test_upgrade_db_fails_with_its_reason_when_asked():
    out = flask({"STANDIN_MIGRATION_FAIL": "column tenants.plan is missing"})
    assert out.returncode == 1
    assert "STAND-IN: Database migration failed: column tenants.plan is missing" in out.stderr


def test_upgrade_db_succeeds_otherwise():
    out = flask({})
    assert out.returncode == 0
    assert "STAND-IN: Database migration successful!" in out.stdout
