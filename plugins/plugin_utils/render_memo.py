# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each manifest template rendered last time, keyed by a digest of its inputs.

An entry holds, for one template file: the digest of its source and of each
source it includes, the names of the variables its output depends on and of
the filters and tests it uses, a digest of their values and of what those
plugins resolve to, with the code that renders (``inputs``, see
``render_context.py``), and what it rendered: each object's
identity and the digest of its manifest (the one the record of applied
objects keeps). No value is written down, only digests; a template that
renders a Secret, or reads a vaulted value, has no entry.

When the sources and the inputs are unchanged the template would render the
same objects, so a wave can check them against the record of applied objects
without rendering at all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.private_file import read_json_mapping, write_private_json

MEMO_FILE = "rendered.json"
FORMAT = 2  # 2: entries name their plugins; the inputs digest covers the rendering code


def text_digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inputs_digest(context, values, plugins=()):
    """A digest of everything besides the sources that a render depends on: ``context``
    (versions, settings, digest of the plugins' code, field manager, force flag), the
    canonical ``values`` and what each filter and test used resolves to (``plugins``)."""
    canonical = json.dumps([FORMAT, context, values, list(plugins)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def identity(obj):
    """Just enough of an object to read it: apiVersion, kind, name and namespace."""
    metadata = obj.get("metadata") or {}
    kept = {"name": metadata.get("name")}
    if metadata.get("namespace"):
        kept["namespace"] = metadata["namespace"]
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": kept}


class RenderMemo:
    """The memo, one JSON file (``path``; None keeps it in memory only)."""

    def __init__(self, path=None, entries=None):
        self.path = path
        self.entries = dict(entries or {})
        self._dirty = False

    @classmethod
    def load(cls, directory):
        path = os.path.join(directory, MEMO_FILE)
        stored = read_json_mapping(path)
        entries = stored.get("templates") if stored.get("format") == FORMAT else None
        return cls(path, entries if isinstance(entries, dict) else {})

    def entry(self, template):
        """The entry of the template at ``template`` (a path), or None."""
        entry = self.entries.get(template)
        return entry if isinstance(entry, dict) else None

    def remember(self, template, sources, names, inputs, recalled, plugins=()):
        """Keep what ``template`` rendered: ``recalled`` is a list of (identity, manifest digest),
        ``plugins`` the [kind, name] of each filter and test it uses."""
        self.entries[template] = {
            "sources": dict(sources), "names": list(names), "inputs": inputs,
            "objects": [[ident, digest] for ident, digest in recalled],
            "plugins": [list(plugin) for plugin in plugins]}
        self._dirty = True

    def forget(self, template):
        if self.entries.pop(template, None) is not None:
            self._dirty = True

    def save(self):
        """Write the memo if it changed, without the entries of templates that are gone."""
        for template in [t for t in self.entries if not os.path.exists(t)]:
            self.forget(template)
        if self._dirty and self.path:
            write_private_json(self.path, {"format": FORMAT, "templates": self.entries})
            self._dirty = False
