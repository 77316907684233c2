"""What a rendering depends on besides sources and variables (plugin_utils/render_context.py)."""

import pytest
from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

from ansible_collections.airgap.dify_platform.plugins.plugin_utils import render_context
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_context import (
    PluginResolver,
    plugins_digest,
)
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_inputs import NotRecallable
from helpers.paths import COLLECTIONS_ROOT


@pytest.fixture(scope="module")
def resolver():
    init_plugin_loader([str(COLLECTIONS_ROOT)])
    yield PluginResolver()
    # The loader installs Ansible's collection finder for the whole process; left there, a later
    # test's import of this collection's plugins goes through it and fails ("collection metadata
    # was not loaded": the package was imported from sys.path before the finder existed).
    _AnsibleCollectionFinder._remove()  # pylint: disable=protected-access


@pytest.mark.parametrize("kind, name", [
    ("filter", "to_json"), ("filter", "ansible.builtin.b64encode"), ("filter", "default"), ("filter", "join"),
    ("filter", "combine"), ("filter", "ansible.builtin.hash"), ("filter", "indent"), ("test", "defined"),
    ("test", "version"), ("test", "in"), ("test", "match"),
])
def test_a_pure_filter_or_test_of_ansible_core_or_jinja_is_vouched_for(resolver, kind, name):
    assert resolver.identity(kind, name).rpartition(".")[2] == name.rpartition(".")[2]


@pytest.mark.parametrize("kind, name", [
    ("filter", "random"), ("filter", "ansible.builtin.shuffle"), ("filter", "password_hash"),
    ("filter", "strftime"), ("filter", "expanduser"), ("filter", "ansible.builtin.vault"),
    ("test", "file"), ("test", "exists"), ("test", "ansible.builtin.directory"),
    ("filter", "no_such_filter"), ("filter", "some.collection.filter"),
])
def test_a_filter_or_test_that_reads_more_than_its_arguments_is_not(resolver, kind, name):
    with pytest.raises(NotRecallable):
        resolver.identity(kind, name)


def test_a_filter_of_another_collection_is_not_vouched_for(resolver):
    try:
        installed = resolver._loaders["filter"].get("community.general.json_query") is not None
    except (KeyError, ValueError):  # ansible-core 2.21 raises for a collection it cannot find
        installed = False
    if not installed:
        pytest.skip("community.general is not installed")
    with pytest.raises(NotRecallable, match=r"community\.general"):
        resolver.identity("filter", "community.general.json_query")


def test_the_plugins_digest_sees_any_edit_of_any_plugin_file(tmp_path):
    (tmp_path / "plugins" / "filter").mkdir(parents=True)
    (tmp_path / "plugins" / "module_utils").mkdir()
    (tmp_path / "plugins" / "filter" / "f.py").write_text("X = 1\n")
    (tmp_path / "plugins" / "module_utils" / "u.py").write_text("Y = 1\n")
    first = plugins_digest(str(tmp_path))
    (tmp_path / "plugins" / "module_utils" / "u.py").write_text("Y = 2\n")
    second = plugins_digest(str(tmp_path))
    (tmp_path / "plugins" / "module_utils" / "v.py").write_text("")
    third = plugins_digest(str(tmp_path))
    assert len({first, second, third}) == 3


@pytest.mark.parametrize("module, attribute", [
    ("ansible", "__version__"), ("jinja2", "__version__"), ("yaml", "__version__"), ("sys", "version"),
])
def test_the_context_changes_with_each_version(monkeypatch, module, attribute):
    before = render_context.render_context("m", True)
    monkeypatch.setattr(getattr(render_context, module), attribute, "0.0.0-other")
    assert render_context.render_context("m", True) != before


def test_the_context_changes_with_a_templating_setting(monkeypatch):
    before = render_context.render_context("m", True)
    real = render_context.C.config.get_config_value
    monkeypatch.setattr(render_context.C.config, "get_config_value",
                        lambda name, *args, **kwargs: "other" if name == "DEFAULT_NULL_REPRESENTATION"
                        else real(name, *args, **kwargs))
    assert render_context.render_context("m", True) != before
