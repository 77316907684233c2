"""The ansible-core internals the render path leans on, exercised for real on the running ansible-core.

apply_wave renders a role's templates through ActionBase._find_needle, Templar.copy_with_new_env
(available_variables and searchpath), the DataLoader's file reading (get_text_file_contents, else
_get_file_contents before ansible-core 2.19) and, from 2.19 on, the data-trust helpers
(trust_as_template, is_trusted_as_template). None of them is a public API, so each can change in any
ansible-core release: the matrix (make matrix, hack/matrix/run.sh) runs this file on every
ansible-core minor version meta/runtime.yml admits, with a real ActionBase, Templar and DataLoader.
"""

import pytest
from ansible import __version__ as core_version
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.action import ActionBase
from ansible.template import Templar
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.airgap.dify_platform.plugins.plugin_utils import template_inputs, wave_templates
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.wave_templates import WaveTemplates

CORE = tuple(int(part) for part in core_version.split(".")[:2])


class _RoleTask:
    """What ActionBase._find_needle asks of a task: its search path, a role's directory for a role's task."""

    def __init__(self, role_path):
        self._role_path = str(role_path)

    def get_search_path(self):
        return [self._role_path]


class _Action(ActionBase):
    """A real ActionBase (the class apply_wave derives from); only the task is a stand-in."""

    def run(self, tmp=None, task_vars=None):  # pragma: no cover - never run
        raise NotImplementedError


def _action(role_path):
    loader = DataLoader()
    return _Action(_RoleTask(role_path), None, PlayContext(), loader, Templar(loader=loader), None)


@pytest.fixture()
def role(tmp_path):
    """A role whose template includes a sibling and one from another search path (ansible_search_path)."""
    (tmp_path / "role" / "templates").mkdir(parents=True)
    (tmp_path / "role" / "tasks").mkdir()
    (tmp_path / "role" / "templates" / "cm.yml.j2").write_text(
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: {{ name }}, labels: {{ labels | to_json }}}\n"
        "data:\n"
        "  sibling: \"{% include 'sibling.j2' %}\"\n"  # trim_blocks: quoted, so the newline stays
        "  elsewhere: \"{% include 'elsewhere.j2' %}\"\n")
    (tmp_path / "role" / "templates" / "sibling.j2").write_text("{{ name | upper }}")
    (tmp_path / "extra" / "templates").mkdir(parents=True)
    (tmp_path / "extra" / "templates" / "elsewhere.j2").write_text("{{ derived }}")
    return tmp_path


def _variables(root):
    return {
        "name": "demo",
        "labels": {"app": "demo"},
        # A variable whose value is itself a template, as group_vars hold them (trusted, from 2.19 on).
        "derived": wave_templates.trust_as_template("{{ name }}-derived"),
        "ansible_search_path": [str(root / "extra")],
    }


def test_find_needle_finds_a_template_in_the_role(role):
    action = _action(role / "role")
    assert action._find_needle("templates", "cm.yml.j2") == str(role / "role" / "templates" / "cm.yml.j2")
    with pytest.raises(AnsibleError):
        action._find_needle("templates", "missing.yml.j2")


def test_a_role_template_renders_with_its_includes_and_templated_variables(role):
    templates = WaveTemplates(_action(role / "role"), _variables(role))
    [part] = templates.parts(["cm.yml.j2"])
    assert part.objects() == [{
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "demo", "labels": {"app": "demo"}},
        "data": {"sibling": "DEMO", "elsewhere": "demo-derived"},
    }]
    assert templates.rendered == 1


def test_the_copied_templar_leaves_the_action_s_templar_alone(role):
    action = _action(role / "role")
    WaveTemplates(action, _variables(role)).parts(["cm.yml.j2"])
    # copy_with_new_env must give a new templar: the action's own sees none of the wave's variables.
    assert "name" not in action._templar.available_variables


def test_an_unsafe_value_renders_into_objects(role):
    """A value from a registered result is unsafe (wrap_var); before 2.19 the whole rendering then
    comes back as an AnsibleUnsafeText, which the C YAML loader refused ("a string or stream input is
    required": keycloak's client Secrets on ansible-core 2.16)."""
    variables = dict(_variables(role), name=wrap_var("from-a-result"))
    [part] = WaveTemplates(_action(role / "role"), variables).parts(["cm.yml.j2"])
    assert part.objects()[0]["metadata"]["name"] == "from-a-result"


def test_the_file_is_read_through_the_loader(role):
    path = role / "role" / "templates" / "sibling.j2"
    assert wave_templates._read_text(DataLoader(), str(path)) == "{{ name | upper }}"


@pytest.mark.skipif(CORE < (2, 19), reason="ansible-core before 2.19 has no data trust: every string is a template")
def test_data_trust_on_2_19_and_later(role):
    assert template_inputs.is_trusted_as_template(wave_templates.trust_as_template("{{ x }}"))
    assert not template_inputs.is_trusted_as_template("{{ x }}")
    # An untrusted value is data, never rendered: text read from a cluster cannot inject a template.
    variables = dict(_variables(role), derived="{{ name }}-derived")
    [part] = WaveTemplates(_action(role / "role"), variables).parts(["cm.yml.j2"])
    assert part.objects()[0]["data"]["elsewhere"] == "{{ name }}-derived"


@pytest.mark.skipif(CORE >= (2, 19), reason="the fallbacks stand in for ansible-core before 2.19 only")
def test_the_data_trust_fallbacks_before_2_19():
    assert wave_templates.trust_as_template("{{ x }}") == "{{ x }}"
    assert template_inputs.is_trusted_as_template("{{ x }}")
