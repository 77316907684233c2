"""The order of an upgrade: the backup before the first wave, each migration before its rollout, and the
serving pods never migrating themselves."""

import pytest
import yaml

from helpers.paths import REPO


def load(path):
    return yaml.safe_load((REPO / path).read_text())


def apply_wave_steps(tasks_file, component):
    for task in load(tasks_file):
        args = task.get("airgap.dify_platform.apply_wave") or {}
        if args.get("component") == component:
            return [step["templates"] for step in args["steps"]]
    raise AssertionError("no apply_wave of %s in %s" % (component, tasks_file))


def test_site_takes_the_upgrade_backup_before_the_first_wave():
    tasks = load("playbooks/site.yml")[0]["tasks"]
    roles = [t["ansible.builtin.import_role"]["name"] for t in tasks]
    assert roles[0] == "airgap.dify_platform.upgrade"
    assert roles.index("airgap.dify_platform.upgrade") < roles.index("airgap.dify_platform.foundation")
    # Not conditional on a component: an upgrade of any wave takes the set.
    assert "when" not in tasks[0]


@pytest.mark.parametrize(("tasks_file", "component", "rollout_template"), [
    ("roles/dify/tasks/main.yml", "dify", "workloads.yml.j2"),
    ("roles/litellm/tasks/apply.yml", "litellm", "litellm.yml.j2"),
    ("roles/langfuse/tasks/apply.yml", "langfuse", "langfuse.yml.j2"),
])
def test_each_wave_runs_its_migration_job_in_a_step_before_the_rollout(tasks_file, component, rollout_template):
    steps = apply_wave_steps(tasks_file, component)
    migrate = next(i for i, s in enumerate(steps) if "migrate.yml.j2" in s)
    rollout = next(i for i, s in enumerate(steps) if rollout_template in s)
    assert migrate < rollout


def test_langfuses_migration_waits_for_clickhouse_and_its_serving_pods_never_migrate():
    steps = apply_wave_steps("roles/langfuse/tasks/apply.yml", "langfuse")
    migrate = next(i for i, s in enumerate(steps) if "migrate.yml.j2" in s)
    assert next(i for i, s in enumerate(steps) if "clickhouse.yml.j2" in s) < migrate
    # langfuse/langfuse web/entrypoint.sh skips each migration when its variable is "true".
    text = (REPO / "roles/langfuse/templates/langfuse.yml.j2").read_text()
    assert '- {name: LANGFUSE_AUTO_POSTGRES_MIGRATION_DISABLED, value: "true"}' in text
    assert '- {name: LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED, value: "true"}' in text


def test_difys_serving_pods_never_migrate_at_start():
    # langgenius/dify api/docker/entrypoint.sh runs `flask upgrade-db` at start when MIGRATION_ENABLED is "true".
    text = (REPO / "roles/dify/templates/api-env.yml.j2").read_text()
    assert '- {name: MIGRATION_ENABLED, value: "false"}' in text


def test_the_opt_out_is_one_role_prefixed_variable_in_defaults_and_the_spec():
    defaults = load("roles/upgrade/defaults/main.yml")
    spec = load("roles/upgrade/meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert defaults == {"upgrade_backup": True}
    assert spec["upgrade_backup"]["type"] == "bool" and spec["upgrade_backup"]["default"] is True


def test_check_mode_never_takes_the_set():
    tasks = load("roles/upgrade/tasks/backup.yml")
    take = next(t for t in tasks if "ansible.builtin.include_role" in t)
    assert take["ansible.builtin.include_role"]["name"] == "airgap.dify_platform.backup"
    assert "not ansible_check_mode" in take["when"]
