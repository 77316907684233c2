"""The backup and restore playbooks (and the dify_apps role under them), run by FQCN."""

import os
import shutil
from pathlib import Path

from dify_support import (
    CHAT_DSL,
    PASSWORD,
    SOURCES,
    role_vars,
    run_playbook,
)

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures


def files(directory):
    return {path.name: path.read_bytes() for path in sorted(Path(directory).iterdir())}


def test_backup_then_restore_into_an_empty_dify(dify, tmp_path):
    for name in ("echo-workflow.yml", "echo-chat.yml", "basic_chatflow.yml"):
        dify.seed((SOURCES / name).read_text())
    dify.seed(CHAT_DSL)
    backup = tmp_path / "dify-apps"
    first = run_playbook("dify_apps_export", role_vars(dify, backup))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert first.stats["changed"] == 1
    before = files(str(backup))
    assert len(before) == 4

    dify.reset_counters()
    second = run_playbook("dify_apps_export", role_vars(dify, backup))
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert files(str(backup)) == before
    assert dify.write_requests() == []

    # Restore into a Dify that lost everything.
    dify.service.apps.clear()
    restore = run_playbook("dify_apps_import", role_vars(dify, backup))
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr
    restored = sorted(a.name for a in dify.service.apps.values())
    assert restored == ["basic_auto_test", "basic_chatflow", "echo-bot", "faq-chat"]
    assert PASSWORD not in restore.stdout + restore.stderr

    # Applying the same directory again changes nothing and writes nothing.
    dify.reset_counters()
    again = run_playbook("dify_apps_import", role_vars(dify, backup))
    assert again.returncode == 0 and again.stats["changed"] == 0, again.stats
    assert dify.write_requests() == []


def test_bad_files_are_reported_together_before_any_change(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    shutil.copy(str(SOURCES / "echo-chat.yml"), str(apps / "good.yml"))
    (apps / "broken.yml").write_text("app:\n  name: [oops\n")
    (apps / "no-app.yml").write_text("version: '0.6.0'\nkind: app\n")
    (apps / "bad-mode.yaml").write_text("app:\n  name: x\n  mode: chatbot\n")
    (apps / "notes.txt").write_text("not a DSL file")
    out = run_playbook("dify_apps_import", role_vars(dify, apps))
    assert out.returncode != 0
    failure = [r for r in out.results if r.get("failed")]
    assert len(failure) == 1
    msg = failure[0]["msg"]
    assert msg.startswith("3 of 4 DSL file(s) in %s cannot be applied; nothing was changed" % apps)
    for name, problem in (("broken.yml", "is not valid YAML"), ("no-app.yml", "has no `app` section"),
                          ("bad-mode.yaml", "'chatbot' is not a Dify app mode")):
        [line] = [line for line in msg.splitlines() if line.startswith("- %s: " % (apps / name))]
        assert problem in line
    assert dify.write_requests() == []
    assert dify.service.apps == {}


def test_an_app_dify_cannot_overwrite_stops_the_whole_import(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    dify.seed(CHAT_DSL)
    (apps / "faq.yml").write_text(CHAT_DSL.replace("You answer questions", "You answer briefly"))
    shutil.copy(str(SOURCES / "echo-chat.yml"), str(apps / "echo.yml"))
    out = run_playbook("dify_apps_import", role_vars(dify, apps))
    assert out.returncode != 0
    assert "Dify overwrites only workflow and advanced-chat apps" in out.stdout
    assert dify.write_requests() == [] and not dify.apps_named("echo-bot")
    backups = str(tmp_path / "backups")
    fixed = run_playbook("dify_apps_import", role_vars(dify, apps, dify_apps_recreate=True, dify_apps_backup_dir=backups))
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    assert dify.apps_named("echo-bot") and len(os.listdir(str(tmp_path / "backups"))) == 1
