# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a role's manifest templates into Kubernetes objects, on the controller.

The ``template`` lookup deep-copies every variable of the play for each file it
renders; over a whole platform that copy cost more than applying the objects.
Here the variables are copied shallowly, as the ``template`` action does, and
one templar serves every file of a directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

try:  # ansible-core 2.19 and later only render data marked as trusted
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core before 2.19
    def trust_as_template(text):
        return text

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def render_objects(action, names, task_vars):
    """The objects of the templates ``names``, in order, empty documents left out.

    ``action`` is the running action plugin: its task gives the search path (the
    role's ``templates`` directory first), its loader and templar read and render.
    """
    objects = []
    variables = dict(task_vars)
    templars = {}  # one per directory: its includes and imports are found beside it
    for name in names:
        path = action._find_needle("templates", name)
        directory = os.path.dirname(path)
        templar = templars.get(directory)
        if templar is None:
            templar = templars[directory] = action._templar.copy_with_new_env(
                available_variables=variables, searchpath=_search_path(directory, task_vars))
        rendered = templar.template(trust_as_template(_read_text(action._loader, path)), escape_backslashes=False)
        if not isinstance(rendered, str):
            raise AnsibleActionFail("template %s must render to YAML text" % name)
        try:
            documents = list(yaml.load_all(str(rendered), Loader=_YAML_LOADER))
        except yaml.YAMLError as exc:
            raise AnsibleActionFail("template %s did not render to valid YAML: %s" % (name, exc)) from None
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


def _search_path(directory, task_vars):
    """Where the template and its ``{% include %}`` and ``{% import %}`` are found: its
    own directory, then each search path's ``templates`` directory and the path itself."""
    paths = [directory]
    for base in task_vars.get("ansible_search_path") or []:
        paths.extend([os.path.join(base, "templates"), base])
    return paths
