"""The order of an upgrade: the backup before the first wave, each migration before its rollout, and the
serving pods never migrating themselves."""

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


def test_dify_runs_its_migration_job_in_a_step_before_the_rollout():
    steps = apply_wave_steps("roles/dify/tasks/main.yml", "dify")
    migrate = next(i for i, s in enumerate(steps) if "migrate.yml.j2" in s)
    rollout = next(i for i, s in enumerate(steps) if "workloads.yml.j2" in s)
    assert migrate < rollout


def test_litellm_runs_its_migration_job_in_a_step_before_the_rollout():
    steps = apply_wave_steps("roles/litellm/tasks/apply.yml", "litellm")
    migrate = next(i for i, s in enumerate(steps) if "migrate.yml.j2" in s)
    rollout = next(i for i, s in enumerate(steps) if "litellm.yml.j2" in s)
    assert migrate < rollout


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
