"""Render a role's templates through Ansible, with the role's own defaults and vars (no cluster)."""

from helpers.playbook import run_tasks
from helpers.render_batch import PLATFORM, SHARED_TEMPLATES, render_tasks, session, template_dir

PLATFORM_DEFAULTS = PLATFORM / "defaults" / "main.yml"
PLATFORM_VARS = PLATFORM / "vars" / "main.yml"
__all__ = ["PLATFORM_DEFAULTS", "PLATFORM_VARS", "SHARED_TEMPLATES", "render_role_objects"]


def render_role_objects(role, templates, variables):
    """{(kind, name): object} of ``templates`` (file names under roles/<role>/templates).

    The platform's defaults (every role depends on dify_platform), the
    platform's and the role's vars files and the role's defaults are read
    first, then ``variables`` are set. Each template finds its includes as
    apply_wave finds them: beside it, then among the shared templates.

    In a unit-test session the render comes from the session's batch when the
    plan foresaw it (helpers/render_batch.py), else from a run of its own.
    """
    result = session.take(role, templates, variables)
    if result is None:
        play = run_tasks(render_tasks(role, templates, variables, template_dir(role)))
        result = play.result("render")
        assert not result.get("failed"), result.get("msg") or play.stderr[-2000:]
    return dict(((obj["kind"], obj["metadata"]["name"]), obj) for obj in result["msg"])
