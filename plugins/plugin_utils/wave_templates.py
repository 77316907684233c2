# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a role's manifest templates into Kubernetes objects, on the controller.

The ``template`` lookup deep-copies every variable of the play for each file it
renders; over a whole platform that copy cost more than applying the objects.
Here the variables are copied shallowly, as the ``template`` action does, and
one templar serves every file of the wave.

Each file is loaded through the templar's Jinja loader, with Jinja's bytecode
cache on the controller: a template is compiled once per version of its
source, Ansible and Jinja, not once per run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import jinja2
import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.controller_cache import controller_cache_dir

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
    templars = {}  # one per directory: a template is found, and cached, by its base name
    for name in names:
        path = action._find_needle("templates", name)
        directory = os.path.dirname(path)
        templar = templars.get(directory)
        if templar is None:
            templar = templars[directory] = action._templar.copy_with_new_env(
                available_variables=variables, searchpath=_search_path(directory, task_vars))
            templar.environment.bytecode_cache = _bytecode_cache()
        include = "{%% include %s %%}" % json.dumps(os.path.basename(path))
        rendered = templar.template(trust_as_template(include), escape_backslashes=False)
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


def _bytecode_cache():
    """Jinja's bytecode cache for this Ansible and Jinja, or None when it cannot be kept."""
    directory = controller_cache_dir("jinja-%s-%s" % (ANSIBLE_VERSION, jinja2.__version__))
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory) if os.access(directory, os.W_OK) else None


def _search_path(directory, task_vars):
    """Where the template and its ``{% include %}`` and ``{% import %}`` are found: its
    own directory, then each search path's ``templates`` directory and the path itself."""
    paths = [directory]
    for base in task_vars.get("ansible_search_path") or []:
        paths.extend([os.path.join(base, "templates"), base])
    return paths
