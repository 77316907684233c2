# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a role's manifest templates into Kubernetes objects, on the controller.

The ``template`` lookup deep-copies every variable of the play for each file it
renders; over a whole platform that copy cost more than applying the objects.
Here the variables are copied shallowly, as the ``template`` action does, and
one templar serves every file of a directory.

With a memo of rendered templates (``template_recall.py``), a template whose
sources and inputs are what they were when it was last rendered is not
rendered again: its :class:`Part` holds the identities and manifest digests it
rendered then, and renders only if the wave finds one of those objects changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_recall import TemplateRecall

try:  # ansible-core 2.19 and later only render data marked as trusted
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core before 2.19
    def trust_as_template(text):
        return text

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The building blocks every role's templates import (one Route, one Redis): the
# templates of the dify_platform role, which every wave role depends on.
SHARED_TEMPLATES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles", "dify_platform", "templates")


class Part:
    """The objects of one template, or of a task's own ``objects``.

    ``recalled`` is None, or the (identity, manifest digest) of each object the
    template rendered last time with the same inputs: then ``objects()``
    renders only when called.
    """

    def __init__(self, render, recalled=None):
        self._render = render
        self._objects = None
        self.recalled = recalled

    def objects(self):
        if self._objects is None:
            self._objects = self._render()
        return self._objects

    def identities(self):
        if self.recalled is not None:
            return [ident for ident, digest in self.recalled]
        return self.objects()


def given(objects):
    """The part of objects given to the task as they are."""
    return Part(lambda: objects)


class WaveTemplates:
    """The templates of one task: rendered, or recalled from ``memo`` (a RenderMemo, or None).

    ``field_manager`` and ``force`` are those of the apply: the digests the memo
    keeps are of what the apply sends.
    """

    def __init__(self, action, task_vars, memo=None, field_manager="", force=True):
        self._action = action
        self._task_vars = task_vars
        self._variables = dict(task_vars)
        self._templars = {}  # one per directory: its includes and imports are found beside it
        self._texts = {}
        self._recall = None
        if memo is not None:
            self._recall = TemplateRecall(memo, self._variables, self._text, self._search_path, field_manager, force)
        self.rendered = 0  # how many templates this task rendered

    def parts(self, names):
        """One :class:`Part` per template of ``names``, in order. A template not recalled is
        rendered now, so that an error in any of them fails before the cluster is touched."""
        parts = []
        for name in names:
            path = self._action._find_needle("templates", name)
            recalled = self._recall.recall(path) if self._recall is not None else None
            if recalled is not None:
                parts.append(Part(lambda name=name, path=path: self._render(name, path), recalled))
            else:
                parts.append(given(self._render(name, path)))
        return parts

    def _render(self, name, path):
        directory = os.path.dirname(path)
        templar = self._templars.get(directory)
        if templar is None:
            templar = self._templars[directory] = self._action._templar.copy_with_new_env(
                available_variables=self._variables, searchpath=self._search_path(directory))
        rendered = templar.template(trust_as_template(self._text(path)), escape_backslashes=False)
        self.rendered += 1
        if rendered is None:
            # ansible-core 2.19+ gives None for a template that renders to nothing, such as one
            # wholly inside a false `{% if %}` (foundation's sandbox-scc.yml.j2 off OpenShift).
            rendered = ""
        if not isinstance(rendered, str):
            raise AnsibleActionFail("template %s must render to YAML text" % name)
        objects = _documents(name, rendered)
        if self._recall is not None:
            self._recall.remember(path, objects)
        return objects

    def _text(self, path):
        text = self._texts.get(path)
        if text is None:
            text = self._texts[path] = _read_text(self._action._loader, path)
        return text

    def _search_path(self, directory):
        """Where the template and its ``{% include %}`` and ``{% import %}`` are found: its
        own directory, then each search path's ``templates`` directory and the path itself,
        then the templates every role shares (``SHARED_TEMPLATES``)."""
        paths = [directory]
        for base in self._task_vars.get("ansible_search_path") or []:
            paths.extend([os.path.join(base, "templates"), base])
        paths.append(SHARED_TEMPLATES)
        return paths


def _documents(name, rendered):
    try:
        # str.__str__, not str(): before 2.19 a rendering that read an unsafe value (a registered
        # result) is an AnsibleUnsafeText whose str() is itself, and the C loader takes only a str.
        documents = list(yaml.load_all(str.__str__(rendered), Loader=_YAML_LOADER))
    except yaml.YAMLError as exc:
        raise AnsibleActionFail("template %s did not render to valid YAML: %s" % (name, exc)) from None
    objects = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise AnsibleActionFail("template %s: document %d is not a mapping" % (name, number))
        objects.append(document)
    return objects


def _read_text(loader, path):
    read = getattr(loader, "get_text_file_contents", None)
    if read is not None:
        return read(path)
    return to_text(loader._get_file_contents(path)[0], errors="surrogate_or_strict")  # pragma: no cover
