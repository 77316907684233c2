"""Render a role's templates through Ansible, with the role's own defaults and vars (no cluster)."""

import tempfile
from pathlib import Path

from helpers.paths import REPO
from helpers.playbook import run_tasks

PLATFORM_DEFAULTS = REPO / "roles" / "dify_platform" / "defaults" / "main.yml"
PLATFORM_VARS = REPO / "roles" / "dify_platform" / "vars" / "main.yml"
# The templates every role imports (apply_wave's SHARED_TEMPLATES).
SHARED_TEMPLATES = REPO / "roles" / "dify_platform" / "templates"


def render_role_objects(role, templates, variables):
    """{(kind, name): object} of ``templates`` (file names under roles/<role>/templates).

    The platform's defaults (every role depends on dify_platform), the
    platform's and the role's vars files and the role's defaults are read
    first, then ``variables`` are set. Each template finds its includes as
    apply_wave finds them: beside it, then among the shared templates.
    """
    directory = REPO / "roles" / role
    tasks = [
        {"name": "platform defaults", "ansible.builtin.include_vars": {"file": str(PLATFORM_DEFAULTS)}},
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM_VARS)}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(directory / "defaults" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": variables},
    ]
    if (directory / "vars" / "main.yml").is_file():
        tasks.insert(2, {"name": "role vars", "ansible.builtin.include_vars": {"file": str(directory / "vars" / "main.yml")}})
    with tempfile.TemporaryDirectory() as tmp:
        # The lookup searches the template's own directory first: one that holds the
        # role's templates and the shared ones side by side.
        for source in list((directory / "templates").iterdir()) + list(SHARED_TEMPLATES.iterdir()):
            (Path(tmp) / source.name).symlink_to(source)
        tasks.append({"name": "render", "ansible.builtin.debug": {"msg": "{{ %s }}" % " + ".join(
            "(lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list)" % (Path(tmp) / name)
            for name in templates)}})
        play = run_tasks(tasks)
    result = play.result("render")
    assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    return dict(((obj["kind"], obj["metadata"]["name"]), obj) for obj in result["msg"])
