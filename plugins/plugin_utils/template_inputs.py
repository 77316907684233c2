# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything a manifest template's output depends on, found without rendering it.

A template's output is a function of its source, the sources it includes or
imports, and the variables it reads, as long as it calls nothing that reads
the outside world or chance (a lookup, ``now()``, the ``random`` filter).
This module finds those inputs from the parsed template: the variables it
names, and, through each variable's own value, the variables that value's
templates name in turn. ``canonical_values`` gives them a stable JSON form.

It also collects the filters and tests the templates name, including those
named by a string (``map('to_json')``, ``select('match', ...)``), so that the
caller can check what each resolves to (``render_context.PluginResolver``).

Anything it cannot vouch for raises :class:`NotRecallable`; the caller then
renders the template as usual.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.meta import find_referenced_templates, find_undeclared_variables

try:  # ansible-core 2.19 and later render only strings marked as trusted
    from ansible.template import is_trusted_as_template
except ImportError:  # pragma: no cover - before 2.19 every string is a template
    def is_trusted_as_template(value):
        return True

# Calls whose result is not a function of the template's inputs. Filters and tests
# are judged by what they resolve to (render_context.py).
UNREPEATABLE_CALLS = frozenset(("lookup", "query", "q", "now", "lipsum"))
# Filters that call the filter or test named by one of their arguments: its position.
NAMED_PLUGIN_ARGUMENT = {"map": ("filter", 0), "select": ("test", 0), "reject": ("test", 0),
                         "selectattr": ("test", 1), "rejectattr": ("test", 1)}
# Names that stand for the whole variable state, not one variable.
WHOLE_STATE_NAMES = frozenset(("hostvars", "vars", "varnames"))
TEMPLATE_MARKERS = ("{{", "{%", "{#")


class NotRecallable(Exception):
    """The output of a template cannot be told from its inputs alone; the message says why."""


class _AnyPlugin(dict):
    """Filters or tests by any name: the analysis compiles a template to find its
    names, and Jinja refuses to compile a filter it does not know."""

    def get(self, key, default=None):
        return _never_called

    def __contains__(self, key):
        return True


def _never_called(*args, **kwargs):  # pragma: no cover - the parser never renders
    raise NotImplementedError


def parser():
    """A Jinja environment that parses what Ansible parses; it never renders."""
    environment = Environment()  # noqa: S701 - it only parses, nothing is rendered or served
    environment.filters = _AnyPlugin()
    environment.tests = _AnyPlugin()
    return environment


def template_names(environment, source, name, plugins=None):
    """(variables the template ``source`` reads, templates it includes or imports); the
    (kind, name) of each filter and test it uses is added to the set ``plugins``."""
    tree = _parse(environment, source, name, plugins)
    included = []
    for reference in find_referenced_templates(tree):
        if reference is None:
            raise NotRecallable("%s includes a template whose name is computed" % name)
        included.append(reference)
    return set(find_undeclared_variables(tree)), included


def variable_closure(environment, names, variables, plugins=None):
    """``names`` and every variable their values' templates read, transitively, sorted;
    the filters and tests those templates use are added to the set ``plugins``.

    A variable whose value holds a template (a role default such as
    ``"{{ platform_namespace }}"``) is rendered from other variables; those
    are inputs too.
    """
    seen, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in WHOLE_STATE_NAMES:
            raise NotRecallable("it reads %s" % name)
        if name in UNREPEATABLE_CALLS:
            raise NotRecallable("it calls %s" % name)
        if name in variables:
            for text in _template_strings(variables[name]):
                tree = _parse(environment, text, "variable %s" % name, plugins)
                if list(find_referenced_templates(tree)):
                    raise NotRecallable("variable %s includes a template" % name)
                pending.extend(find_undeclared_variables(tree))
    return sorted(seen)


def canonical_values(names, variables):
    """The values of ``names`` in a JSON-ready form that tells apart everything that
    renders differently.

    Every mapping in the form is a tag, so no two values share one: ``{"d": [[key,
    value], ...]}`` a mapping (in its order, which a loop keeps), ``{"t": text}`` a
    trusted template string, ``{"date": iso}`` a date, ``{"undefined": true}`` a
    name with no value.
    """
    return dict((name, _canonical(variables[name], name) if name in variables else {"undefined": True})
                for name in names)


def _parse(environment, source, name, plugins=None):
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError:
        # Not the error's text: it quotes the source line, which may be a secret value.
        # Rendering reports the error in full where Ansible would.
        raise NotRecallable("%s does not parse" % name) from None
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in UNREPEATABLE_CALLS:
            raise NotRecallable("%s calls %s" % (name, call.node.name))
    used = plugins if plugins is not None else set()
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind = "filter" if isinstance(node, nodes.Filter) else "test"
        used.add((kind, node.name))
        short = node.name.rpartition(".")[2]
        if kind != "filter" or short not in NAMED_PLUGIN_ARGUMENT:
            continue
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise NotRecallable("%s passes computed arguments to %s" % (name, node.name))
        if short == "map" and any(keyword.key == "attribute" for keyword in node.kwargs):
            continue
        named_kind, position = NAMED_PLUGIN_ARGUMENT[short]
        if len(node.args) <= position:
            continue  # select() with no test keeps what is truthy
        argument = node.args[position]
        if not isinstance(argument, nodes.Const) or not isinstance(argument.value, str):
            raise NotRecallable("%s names a %s with a computed name" % (name, named_kind))
        used.add((named_kind, argument.value))
    return tree


def _is_template(text):
    """Whether Ansible renders the string ``text``: trusted, and holding template markup."""
    return is_trusted_as_template(text) and any(marker in text for marker in TEMPLATE_MARKERS)


def _template_strings(value):
    """The strings inside ``value`` that Ansible renders as templates."""
    if isinstance(value, str):
        if _is_template(value):
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _template_strings(key)
            yield from _template_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _template_strings(item)


def _canonical(value, name):
    if isinstance(value, str):
        if _is_template(value):
            return {"t": str(value)}
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {"d": [[_canonical(key, name), _canonical(item, name)] for key, item in value.items()]}
    if isinstance(value, list):
        return [_canonical(item, name) for item in value]
    if isinstance(value, tuple):  # renders as (a, b), not [a, b]
        return {"tuple": [_canonical(item, name) for item in value]}
    if isinstance(value, (datetime.date, datetime.datetime)):
        return {"date": value.isoformat()}
    # A vaulted value (never written down, even as a digest), a set, an object.
    raise NotRecallable("variable %s holds a %s" % (name, type(value).__name__))
