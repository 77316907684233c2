"""roles/upgrade/tasks/backup.yml run for real (no cluster): what an upgrade does about its backup set in check
mode, when opted out, and when the set has nowhere to go."""

from helpers.paths import REPO
from helpers.playbook import run_tasks

BACKUP_TASKS = str(REPO / "roles" / "upgrade" / "tasks" / "backup.yml")
CHANGE = [{"workload": "Deployment dify-platform/dify-api", "container": "api", "image": "dify_api",
           "from": "h/p/langgenius/dify-api@sha256:" + "a" * 64, "to": "h/p/langgenius/dify-api@sha256:" + "b" * 64}]


def run(variables, check=False):
    tasks = [{"name": "inputs", "ansible.builtin.set_fact": dict({"__upgrade_changes": CHANGE}, **variables)},
             {"name": "decide", "ansible.builtin.include_tasks": BACKUP_TASKS}]
    return run_tasks(tasks, check=check)


def messages(play):
    return [r.get("msg") for r in play.results if isinstance(r.get("msg"), str)]


def test_check_mode_says_it_would_take_the_set_and_takes_none(tmp_path):
    play = run({"upgrade_backup": True, "backup_dir": str(tmp_path), "backup_vault_password_file": str(tmp_path / "k")},
               check=True)
    assert play.returncode == 0, play.stdout[-2000:]
    said = " ".join(messages(play))
    assert "Check mode: a real run would take the backup set %s/pre-upgrade-" % tmp_path in said
    take = play.result("Pre-upgrade backup: take the set (roles/backup)")
    assert take.get("skipped") is True
    assert list(tmp_path.iterdir()) == []


def test_opting_out_says_there_is_no_way_back_and_takes_none(tmp_path):
    play = run({"upgrade_backup": False, "backup_dir": "", "backup_vault_password_file": ""})
    assert play.returncode == 0, play.stdout[-2000:]
    assert any("upgrade_backup is false" in m for m in messages(play))
    assert play.result("Pre-upgrade backup: take the set (roles/backup)").get("skipped") is True


def test_an_upgrade_without_a_place_for_the_set_stops_before_any_change():
    play = run({"upgrade_backup": True, "backup_dir": "", "backup_vault_password_file": ""})
    assert play.returncode != 0
    failed = play.result("Pre-upgrade backup: refuse to go on without a place and a key for the set")
    assert failed.get("failed") and "upgrade_backup: false" in failed["msg"]
