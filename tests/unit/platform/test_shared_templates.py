"""The templates every role shares (roles/dify_platform/templates/platform/), as apply_wave finds them.

A role's template imports `platform/route.j2` or `platform/redis.j2`; apply_wave's search path ends
with SHARED_TEMPLATES, and the memo of rendered templates reads the shared file as one of the
template's sources, so editing the shared Route or Redis renders every role that imports it again.
"""

from pathlib import Path

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import RenderMemo
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_recall import TemplateRecall
# The collection's shim: ansible-core's trust_as_template from 2.19 on, the text as it is before.
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.wave_templates import SHARED_TEMPLATES, trust_as_template

REPO = Path(__file__).resolve().parents[3]
ROUTE = {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": "web", "namespace": "ai"}}


def test_the_shared_templates_are_the_dify_platform_roles():
    assert Path(SHARED_TEMPLATES).resolve() == REPO / "roles" / "dify_platform" / "templates"
    assert (Path(SHARED_TEMPLATES) / "platform" / "route.j2").is_file()
    assert (Path(SHARED_TEMPLATES) / "platform" / "redis.j2").is_file()


def test_a_change_to_a_shared_template_is_not_recalled(tmp_path):
    role_templates, shared = tmp_path / "role", tmp_path / "shared"
    (shared / "platform").mkdir(parents=True)
    role_templates.mkdir()
    route = shared / "platform" / "route.j2"
    route.write_text("{% macro route(name, timeout) %}name: {{ name }} timeout: {{ timeout }}{% endmacro %}")
    template = role_templates / "web.yml.j2"
    template.write_text("{% from 'platform/route.j2' import route %}{{ route('web', web_route_timeout) }}")
    variables = {"web_route_timeout": trust_as_template("30s")}

    def recall():
        memo = RenderMemo.load(str(tmp_path / "memo"))
        return TemplateRecall(memo, variables, lambda path: Path(path).read_text(),
                              lambda directory: [directory, str(shared)], "fm", True), memo

    first, memo = recall()
    first.remember(str(template), [ROUTE])
    assert set(memo.entry(str(template))["sources"]) == {"", "platform/route.j2"}
    assert "web_route_timeout" in memo.entry(str(template))["names"]
    memo.save()
    assert recall()[0].recall(str(template)) is not None
    route.write_text(route.read_text().replace("timeout:", "haproxy-timeout:"))
    assert recall()[0].recall(str(template)) is None
