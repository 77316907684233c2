"""Render a role's templates through Ansible, with the role's own defaults and vars (no cluster)."""

from helpers.paths import REPO
from helpers.playbook import run_tasks

PLATFORM_VARS = REPO / "roles" / "dify_platform" / "vars" / "main.yml"


def render_role_objects(role, templates, variables):
    """{(kind, name): object} of ``templates`` (file names under roles/<role>/templates).

    The platform's and the role's vars files and the role's defaults are read
    first, then ``variables`` are set.
    """
    directory = REPO / "roles" / role
    tasks = [
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(directory / "defaults" / "main.yml")}},
        {"name": "role vars", "ansible.builtin.include_vars": {"file": str(directory / "vars" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": variables},
    ]
    tasks.append({"name": "render", "ansible.builtin.debug": {"msg": "{{ %s }}" % " + ".join(
        "(lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list)" % (directory / "templates" / name)
        for name in templates)}})
    play = run_tasks(tasks)
    result = play.result("render")
    assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    return dict(((obj["kind"], obj["metadata"]["name"]), obj) for obj in result["msg"])
