"""A wave template that renders nothing yields no object (apply_wave's WaveTemplates).

ansible-core 2.19 and later return None, not "", for a template whose text renders to nothing,
such as the foundation's sandbox-scc.yml.j2 on plain Kubernetes (dify_platform_openshift false:
the whole file is inside `{% if ... foundation_openshift %}`). The wave then failed with
"template sandbox-scc.yml.j2 must render to YAML text" on kind; it must apply the other
templates and nothing for that one.
"""

from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.wave_templates import WaveTemplates

REPO = Path(__file__).resolve().parents[3]
SCC = REPO / "roles" / "foundation" / "templates" / "sandbox-scc.yml.j2"


class _Action:
    """What WaveTemplates uses of the apply_wave action: its loader, templar and file search."""

    def __init__(self, path):
        self._loader = DataLoader()
        self._templar = Templar(loader=self._loader)
        self._path = path

    def _find_needle(self, _kind, _name):
        return str(self._path)


def _objects(path, variables):
    return WaveTemplates(_Action(path), variables).parts([Path(path).name])[0].objects()


def test_the_sandbox_scc_renders_nothing_off_openshift():
    variables = {"foundation_sandbox_enabled": True, "foundation_openshift": False}
    assert _objects(SCC, variables) == []


def test_a_template_of_nothing_but_a_false_block_renders_no_object(tmp_path):
    template = tmp_path / "optional.yml.j2"
    template.write_text("{# optional #}\n{% if wanted %}\n---\nkind: ConfigMap\n{% endif %}\n")
    assert _objects(template, {"wanted": False}) == []
    assert _objects(template, {"wanted": True}) == [{"kind": "ConfigMap"}]


def test_a_template_that_renders_a_scalar_is_still_refused(tmp_path):
    template = tmp_path / "scalar.yml.j2"
    template.write_text("just text")
    with pytest.raises(AnsibleActionFail, match="document 1 is not a mapping"):
        _objects(template, {})
