# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recall what a manifest template rendered last time, or remember what it rendered now.

A template is recalled when its source, every file it includes or imports,
the values of the variables it depends on (``template_inputs.py``), what
each filter and test it uses resolves to, and the code that renders
(``render_context.py``: versions, settings, this collection's plugins) are
those of its entry in the memo (``render_memo.py``). The entry gives the
identity and manifest digest of each object it rendered, which the wave
checks against the record of applied objects instead of rendering.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.utils.display import Display

from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.applied import NEVER_RECORDED_KINDS, manifest_digest
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_context import PluginResolver, render_context
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import identity, inputs_digest, text_digest
from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_inputs import (
    NotRecallable,
    canonical_values,
    parser,
    template_names,
    variable_closure,
)

display = Display()


class TemplateRecall:
    """The memo of rendered templates, as one task uses it.

    ``variables`` are the task's; ``read(path)`` gives a file's text and
    ``search(directory)`` the directories where a template in ``directory``
    finds what it includes. ``field_manager`` and ``force`` are those of the
    apply: the digests the memo keeps are of what the apply sends.
    """

    def __init__(self, memo, variables, read, search, field_manager, force, resolver=None):
        self._memo = memo
        self._variables = variables
        self._read = read
        self._search = search
        self._field_manager, self._force = field_manager, bool(force)
        # What a render depends on besides its sources, variables and plugins.
        self._context = render_context(field_manager, force)
        self._resolver = resolver or PluginResolver()
        self._parser = None

    def recall(self, path):
        """What the template at ``path`` rendered last time, if its sources and inputs are unchanged."""
        entry = self._memo.entry(path)
        if entry is None:
            return None
        try:
            if any(self._source_digest(path, source) != digest for source, digest in entry["sources"].items()):
                return None
            if self._inputs(entry["names"], entry["plugins"]) != entry["inputs"]:
                return None
            recalled = [tuple(pair) for pair in entry["objects"]]
            if all(len(pair) == 2 and isinstance(pair[0], dict) for pair in recalled):
                return recalled
            return None
        except (NotRecallable, KeyError, TypeError, ValueError):
            return None

    def remember(self, path, objects):
        """Keep what the template at ``path`` rendered, unless it renders a Secret or its
        output depends on more than its sources and variables."""
        if any(o.get("kind") in NEVER_RECORDED_KINDS for o in objects):
            self._memo.forget(path)
            return
        plugins = set()
        try:
            sources, names = self._sources_and_names(path, plugins)
            names = variable_closure(self._jinja(), names, self._variables, plugins)
            plugins = sorted(plugins)
            inputs = self._inputs(names, plugins)
        except NotRecallable as exc:
            display.vvv("apply_wave: %s is rendered on every run: %s" % (path, exc))
            self._memo.forget(path)
            return
        self._memo.remember(path, sources, names, inputs,
                            [(identity(o), manifest_digest(o, self._field_manager, self._force)) for o in objects],
                            plugins)

    def _sources_and_names(self, path, plugins):
        """The digest of each source the template reads (itself under ``""``, each include
        under its name) and the variables they read; the filters and tests they use are
        added to the set ``plugins``."""
        sources, names = {}, set()
        pending = [""]
        while pending:
            source = pending.pop()
            if source in sources:
                continue
            text = self._read(self._include_path(path, source))
            sources[source] = text_digest(text)
            read, included = template_names(self._jinja(), text, source or path, plugins)
            names.update(read)
            pending.extend(included)
        return sources, names

    def _source_digest(self, path, source):
        return text_digest(self._read(self._include_path(path, source)))

    def _include_path(self, path, source):
        """Where ``{% include source %}`` in the template at ``path`` is found (``""``: the template)."""
        if not source:
            return path
        for directory in self._search(os.path.dirname(path)):
            candidate = os.path.join(directory, source)
            if os.path.isfile(candidate):
                return candidate
        raise NotRecallable("%s includes %s, which is not found" % (path, source))

    def _inputs(self, names, plugins):
        return inputs_digest(self._context, canonical_values(names, self._variables),
                             self._resolver.identities(tuple(plugin) for plugin in plugins))

    def _jinja(self):
        if self._parser is None:
            self._parser = parser()
        return self._parser
