# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugins a Dify app needs, read from the ``dependencies`` of its DSL, matched to local packages.

A DSL's ``dependencies`` are Dify's ``PluginDependency`` (github.com/langgenius/dify
``api/core/plugin/entities/plugin.py``): ``type`` github, marketplace or package, and a
``value`` naming the plugin's unique identifier (``github_plugin_unique_identifier``,
``marketplace_plugin_unique_identifier`` or ``plugin_unique_identifier``), written
``<author>/<name>:<version>@<checksum>``. A package matches when its manifest's author,
name and version are the identifier's; the checksum (the daemon's own) is not recomputed here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - ansible-core brings PyYAML
    HAS_YAML = False

IDENTIFIER_FIELDS = ("marketplace_plugin_unique_identifier", "github_plugin_unique_identifier", "plugin_unique_identifier")
_IDENTIFIER = re.compile(r"^(?P<author>[^/@:\s]+)/(?P<name>[^/@:\s]+):(?P<version>[^@\s]+)(?:@(?P<checksum>\S+))?$")


def parse_identifier(identifier):
    match = _IDENTIFIER.match(identifier or "")
    if not match:
        raise BundleError("%r is not a plugin unique identifier (<author>/<name>:<version>@<checksum>)" % identifier)
    return match.group("author"), match.group("name"), match.group("version")


def identifiers(paths, kinds=None):
    """{identifier: [DSL files that need it]} from the DSL files' ``dependencies``; ``kinds``, a dict
    when given, gets each identifier's dependency ``type`` (github, marketplace or package)."""
    if not HAS_YAML:
        raise BundleError("reading DSL files needs PyYAML")
    found = {}
    for path in paths:
        try:
            with open(path) as handle:
                document = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BundleError("cannot read the DSL file %s: %s" % (path, exc)) from exc
        for dependency in document.get("dependencies") or []:
            value = (dependency or {}).get("value") or {}
            identifier = next((value[f] for f in IDENTIFIER_FIELDS if value.get(f)), None)
            if identifier is None:
                raise BundleError("%s: a dependency names no plugin identifier: %r" % (path, dependency))
            parse_identifier(identifier)
            found.setdefault(identifier, []).append(os.path.basename(path))
            if kinds is not None:
                kinds.setdefault(identifier, (dependency or {}).get("type") or "package")
    return found


def match(needed, directory):
    """(package paths for the needed identifiers, {identifier: DSL files} of those not found in ``directory``)."""
    available = {}
    for name in sorted(os.listdir(directory)) if directory and os.path.isdir(directory) else []:
        if name.endswith(".difypkg"):
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                fields = difypkg.manifest_fields(handle.read())
            available[(fields["author"], fields["name"], fields["version"])] = path
    chosen, missing = [], {}
    for identifier, files in sorted(needed.items()):
        path = available.get(parse_identifier(identifier))
        if path is None:
            missing[identifier] = files
        elif path not in chosen:
            chosen.append(path)
    return chosen, missing
