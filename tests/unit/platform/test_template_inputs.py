"""What a manifest template's output depends on, found without rendering it (plugin_utils/template_inputs.py)."""

import datetime
import json

import pytest
try:  # ansible-core 2.19 and later render only trusted strings
    from ansible.template import trust_as_template
    TRUST = True
except ImportError:  # before 2.19 every string is a template, and the analysis treats it as one
    TRUST = False

    def trust_as_template(text):
        return text

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import inputs_digest
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_inputs import (
    NotRecallable,
    canonical_values,
    parser,
    template_names,
    variable_closure,
)

JINJA = parser()


def names_of(source):
    return template_names(JINJA, source, "t.j2")


def test_the_names_a_template_reads_and_the_templates_it_includes():
    names, included = names_of(
        "{% import 'macros.j2' as m with context %}{% set local = 1 %}"
        "kind: {{ kind | lower }}\n{% for item in items %}{{ item.name ~ local ~ m.x(suffix) }}{% endfor %}"
        "{% include 'labels.j2' %}")
    assert names == {"kind", "items", "suffix"}
    assert included == ["macros.j2", "labels.j2"]


def test_an_unknown_filter_does_not_stop_the_analysis():
    assert names_of("{{ a | some.collection.filter(b) }}")[0] == {"a", "b"}


@pytest.mark.parametrize("source, reason", [
    ("{{ lookup('ansible.builtin.file', 'x') }}", "calls lookup"),
    ("{{ query('env', 'HOME') }}", "calls query"),
    ("{{ now() }}", "calls now"),
    ("{{ lipsum() }}", "calls lipsum"),
    ("{{ items | map(name) }}", "filter with a computed name"),
    ("{{ items | selectattr('a', *tests) }}", "computed arguments"),
    ("{% include name ~ '.j2' %}", "whose name is computed"),
    ("{{ broken", "does not parse"),
])
def test_what_makes_a_template_unrepeatable_is_named(source, reason):
    with pytest.raises(NotRecallable, match=reason):
        names_of(source)


def test_the_filters_and_tests_used_are_collected_with_those_named_by_a_string():
    plugins = set()
    template_names(JINJA, "{{ a | to_json | ansible.builtin.b64encode }}{% if b is defined %}"
                          "{{ c | map('lower') | select('match', 'x') | selectattr('k', 'version', '1', '>')"
                          " | map(attribute='z') | list }}{% endif %}", "t.j2", plugins)
    assert plugins == {("filter", "to_json"), ("filter", "ansible.builtin.b64encode"), ("test", "defined"),
                       ("filter", "map"), ("filter", "lower"), ("filter", "select"), ("test", "match"),
                       ("filter", "selectattr"), ("test", "version"), ("filter", "list")}
    variables = {"x": trust_as_template("{{ y | random }}")}
    found = set()
    variable_closure(JINJA, {"x"}, variables, found)
    assert found == {("filter", "random")}


def test_the_closure_follows_the_templates_in_variable_values():
    variables = {
        "route": trust_as_template("{{ name }}.{{ domain }}"),
        "name": "dify",
        "domain": trust_as_template("apps.{{ base | lower }}"),
        "base": "Example.Internal",
        "unused": trust_as_template("{{ elsewhere }}"),
        "labels": {"team": trust_as_template("{{ team }}")},
        "team": "ai",
        "untrusted": "{{ never_rendered }}",  # a module's output: Ansible renders it as text
    }
    # Before 2.19 the untrusted string counts as a template too: more inputs, never fewer.
    assert variable_closure(JINJA, {"route", "labels", "untrusted"}, variables) == sorted(
        ["base", "domain", "labels", "name", "route", "team", "untrusted"] + ([] if TRUST else ["never_rendered"]))


@pytest.mark.parametrize("value, reason", [
    (trust_as_template("{{ hostvars['x'].y }}"), "reads hostvars"),
    (trust_as_template("{{ vars['name'] }}"), "reads vars"),
    (trust_as_template("{{ lookup('env', 'REGISTRY') }}"), "calls lookup"),
    (trust_as_template("{% include 'registry.j2' %}"), "variable registry includes a template"),
])
def test_a_variable_that_reads_everything_or_the_outside_world_is_refused(value, reason):
    with pytest.raises(NotRecallable, match=reason):
        variable_closure(JINJA, {"registry"}, {"registry": value})


def canonical(value):
    return json.dumps(canonical_values(["v"], {"v": value}), sort_keys=True)


@pytest.mark.parametrize("one, other", [
    ({"a": "b"}, [["a", "b"]]),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}),  # a loop over a mapping follows its order
    pytest.param(trust_as_template("{{ x }}"), "{{ x }}", marks=pytest.mark.skipif(not TRUST, reason="ansible-core < 2.19"),
                 id="only a trusted string is rendered"),
    ("{{ x }}", {"t": "{{ x }}"}),
    (None, "None"),
    (1, True),
    (1, 1.0),
    (1, "1"),
    (datetime.date(2026, 1, 2), "2026-01-02"),
])
def test_values_that_render_differently_have_different_canonical_forms(one, other):
    assert canonical(one) != canonical(other)


def test_an_undefined_variable_is_not_a_null_one():
    assert canonical_values(["v"], {}) != canonical_values(["v"], {"v": None})


def test_a_value_with_no_json_form_is_refused():
    with pytest.raises(NotRecallable, match="variable v holds a set"):
        canonical({"a", "b"})


def test_the_inputs_digest_covers_the_context_and_the_values():
    values = canonical_values(["v"], {"v": "x"})
    digest = inputs_digest(["2.19", "manager", True], values)
    assert digest == inputs_digest(["2.19", "manager", True], canonical_values(["v"], {"v": "x"}))
    assert digest != inputs_digest(["2.19", "manager", False], values)
    assert digest != inputs_digest(["2.19", "manager", True], canonical_values(["v"], {"v": "y"}))


def test_a_value_that_does_not_parse_is_not_quoted():
    with pytest.raises(NotRecallable) as failure:
        variable_closure(JINJA, {"password"}, {"password": trust_as_template("s3cr3t-{{ oops")})
    assert "s3cr3t" not in str(failure.value) and "variable password does not parse" in str(failure.value)
