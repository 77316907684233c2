# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a rendering depends on besides a template's sources and variables: the code that renders it.

The memo of rendered templates (``template_recall.py``) keys each entry on

- the versions of Python, ansible-core, Jinja and PyYAML, and the templating
  settings of ansible-core (``render_context``);
- a digest of every file of this collection's ``plugins/`` directory: the
  filter and test plugins, the module_utils they import, and the code that
  renders and parses (``plugins_digest``);
- the plugin each filter and test name the templates use resolves to
  (``PluginResolver``). A name is vouched for only when it resolves to a
  filter or test of ansible-core or Jinja that is a function of its arguments
  alone (the allow-lists below, covered by the versions), or to one of this
  collection (covered by the digest). Anything else (another collection, a
  plugin directory beside the playbook, a filter that reads the clock, chance,
  files or the environment) makes the template render on every run.

So an upgrade of any of them, or an edit of any plugin file, renders every
template again once; no file has to be deleted by hand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import sys

import ansible
import jinja2
import yaml
from ansible import constants as C
from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_inputs import NotRecallable

# The collection this file belongs to: plugins/plugin_utils/render_context.py.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION_PREFIX = "airgap.dify_platform."
ANSIBLE_PACKAGE = os.path.dirname(os.path.abspath(ansible.__file__))

# ansible-core settings that change what a template renders (those that exist in the version running).
TEMPLATING_SETTINGS = (
    "ALLOW_BROKEN_CONDITIONALS", "ALLOW_EMBEDDED_TEMPLATES", "DEFAULT_ALLOW_UNSAFE_LOOKUPS",
    "DEFAULT_JINJA2_EXTENSIONS", "DEFAULT_JINJA2_NATIVE", "DEFAULT_NULL_REPRESENTATION",
    "DEFAULT_UNDEFINED_VAR_BEHAVIOR", "STRING_CONVERSION_ACTION", "_TEMPLAR_UNKNOWN_TYPE_CONVERSION",
    "_TEMPLAR_UNTRUSTED_TEMPLATE_BEHAVIOR",
)

# ansible.builtin filters and tests whose result is a function of their arguments
# (ansible-core lib/ansible/plugins/filter/*.py and test/*.py). Left out on purpose:
# random, shuffle, password_hash, vault, unvault, strftime (the clock), expanduser,
# expandvars, realpath, relpath (the environment and the file system), and the tests
# exists, file, directory, link, mount, same_file (the file system).
PURE_ANSIBLE_FILTERS = frozenset((
    "b64decode", "b64encode", "basename", "bool", "checksum", "combinations", "combine", "comment",
    "dict2items", "difference", "dirname", "extract", "flatten", "from_json", "from_yaml", "from_yaml_all",
    "hash", "human_readable", "human_to_bytes", "intersect", "items2dict", "log", "mandatory", "md5",
    "path_join", "permutations", "pow", "product", "quote", "regex_escape", "regex_findall",
    "regex_replace", "regex_search", "root", "sha1", "split", "splitext", "subelements",
    "symmetric_difference", "ternary", "to_datetime", "to_json", "to_nice_json", "to_nice_yaml",
    "to_uuid", "to_yaml", "type_debug", "union", "unique", "urldecode", "urlsplit", "zip", "zip_longest",
))
PURE_ANSIBLE_TESTS = frozenset((
    "abs", "all", "any", "changed", "contains", "failed", "failure", "falsy", "finite", "issubset",
    "issuperset", "match", "nan", "regex", "search", "skip", "skipped", "subset", "succeeded", "success",
    "superset", "truthy", "unreachable", "vault_encrypted", "vaulted_file", "version", "version_compare",
))
# Jinja's own (jinja2/filters.py, jinja2/tests.py), but ``random`` (chance), and the
# tests ``filter`` and ``test``, which ask what a name resolves to.
PURE_JINJA_FILTERS = frozenset(DEFAULT_FILTERS) - frozenset(("random",))
PURE_JINJA_TESTS = frozenset(DEFAULT_TESTS) - frozenset(("filter", "test"))
PURE = {
    "filter": PURE_ANSIBLE_FILTERS | PURE_JINJA_FILTERS,
    "test": PURE_ANSIBLE_TESTS | PURE_JINJA_TESTS,
}
PURE_JINJA = {"filter": PURE_JINJA_FILTERS, "test": PURE_JINJA_TESTS}


def render_context(field_manager, force):
    """Everything besides sources, variables and plugins that the memo's digests depend on."""
    return [sys.version, ansible.__version__, jinja2.__version__, yaml.__version__, _settings(),
            plugins_digest(), field_manager, bool(force)]


def plugins_digest(root=COLLECTION_ROOT):
    """A digest of the name and content of every file under ``root``'s ``plugins/`` directory."""
    digest = hashlib.sha256()
    base = os.path.join(root, "plugins")
    for directory, subdirectories, files in os.walk(base):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, base).encode("utf-8") + b"\0")
            with open(path, "rb") as source:
                digest.update(hashlib.sha256(source.read()).digest())
    return digest.hexdigest()


def _settings():
    definitions = C.config.get_configuration_definitions()
    values = []
    for name in TEMPLATING_SETTINGS:
        if name in definitions:
            value = C.config.get_config_value(name)
            values.append([name, value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)])
    return values


class PluginResolver:
    """What each filter or test name resolves to, as a string; raises NotRecallable for a
    plugin whose result may depend on more than its arguments, or whose code the memo
    does not digest."""

    def __init__(self, loaders=None):
        if loaders is None:
            from ansible.plugins.loader import filter_loader, test_loader
            loaders = {"filter": filter_loader, "test": test_loader}
        self._loaders = loaders
        self._known = {}

    def identities(self, plugins):
        """[kind, name, what it resolves to] of each (kind, name) in ``plugins``, sorted."""
        return [[kind, name, self.identity(kind, name)] for kind, name in sorted(plugins)]

    def identity(self, kind, name):
        key = (kind, name)
        if key not in self._known:
            try:
                self._known[key] = self._resolve(kind, name)
            except NotRecallable as exc:
                self._known[key] = exc
        known = self._known[key]
        if isinstance(known, NotRecallable):
            raise known
        return known

    def _resolve(self, kind, name):
        try:
            plugin = self._loaders[kind].get(name)
        except Exception:  # an invalid name: rendering reports it
            raise NotRecallable("the %s %s does not resolve" % (kind, name)) from None
        short = name.rpartition(".")[2]
        if plugin is None:
            # ansible-core falls back on Jinja's own filters and tests.
            if name in (short, "ansible.builtin." + short) and short in PURE_JINJA[kind]:
                return "jinja." + short
            raise NotRecallable("the %s %s is not one whose result depends on its arguments alone" % (kind, name))
        resolved = getattr(plugin, "ansible_name", None) or ""
        path = os.path.abspath(getattr(plugin, "_original_path", None) or os.sep)
        if resolved.startswith(COLLECTION_PREFIX) and path.startswith(os.path.join(COLLECTION_ROOT, "plugins") + os.sep):
            return resolved  # its code is in plugins_digest()
        in_core = resolved.startswith(("ansible.builtin.", "ansible.legacy.")) and path.startswith(ANSIBLE_PACKAGE + os.sep)
        if in_core and resolved.rpartition(".")[2] in PURE[kind]:
            return "ansible.builtin." + resolved.rpartition(".")[2]
        raise NotRecallable("the %s %s (%s) is not one whose result depends on its arguments alone"
                            % (kind, name, resolved or "unknown"))
