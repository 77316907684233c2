# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate a Dify DSL document, before any request is sent.

The checks mirror what Dify 1.15 does on import (services/app_dsl_service.py
and services/dsl_version.py), so that a file Dify would refuse, or would
import half-way, fails here with a message that names the file and the
problem instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import fnmatch
import os

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR = None
    # libyaml's parser when PyYAML has it: the same data, several times faster on large DSLs.
    _Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    YAMLError = yaml.YAMLError
except ImportError as exc:  # pragma: no cover - exercised only on hosts without PyYAML
    HAS_YAML = False
    YAML_IMPORT_ERROR = exc
    YAMLError = ValueError

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import BatchError, DslError

# Dify refuses DSL content above this many characters (services/app_dsl_service.py DSL_MAX_SIZE).
DSL_MAX_SIZE = 10 * 1024 * 1024
APP_MODES = ("workflow", "advanced-chat", "chat", "agent-chat", "completion")
WORKFLOW_MODES = frozenset(("workflow", "advanced-chat"))
MODEL_CONFIG_MODES = frozenset(("chat", "agent-chat", "completion"))
DEFAULT_DSL_VERSION = "0.1.0"

# Status names, as Dify spells them (services/entities/dsl_entities.py ImportStatus).
COMPLETED = "completed"
COMPLETED_WITH_WARNINGS = "completed-with-warnings"
PENDING = "pending"
FAILED = "failed"

# A subset of PEP 440 wide enough for every DSL version Dify has written ("0.1.0" .. "0.7.0").
_VERSION_RE = re.compile(
    r"^\s*v?(?P<release>\d+(?:\.\d+)*)"
    r"(?P<pre>[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?"
    r"(?P<post>[-_.]?(?:post|rev|r)[-_.]?\d*)?"
    r"(?P<dev>[-_.]?dev[-_.]?\d*)?\s*$",
    re.IGNORECASE,
)


def parse_version(text):
    """Return a comparable (major, minor, micro, final) tuple, or None when Dify could not parse it."""
    if not isinstance(text, str):
        return None
    match = _VERSION_RE.match(text)
    if not match:
        return None
    parts = [int(p) for p in match.group("release").split(".")]
    parts += [0] * (3 - len(parts))
    final = 0 if (match.group("pre") or match.group("dev")) else 1
    return (parts[0], parts[1], parts[2], final)


def version_status(imported, current):
    """What Dify answers to an import of DSL ``imported`` when it speaks ``current``.

    The same table as services/dsl_version.py check_version_compatibility:
    unparseable is failed; newer than current is pending; an older major is
    pending; an older minor completes with warnings; anything else completes.
    """
    imported_v = parse_version(imported)
    current_v = parse_version(current)
    if imported_v is None or current_v is None:
        return FAILED
    if imported_v > current_v:
        return PENDING
    if imported_v[0] < current_v[0]:
        return PENDING
    if imported_v[1] < current_v[1]:
        return COMPLETED_WITH_WARNINGS
    return COMPLETED


class DslDocument:
    """A validated DSL: the text to send, the parsed data, and what the modules need from it."""

    def __init__(self, text, data, source):
        self.text = text
        self.data = data
        self.source = source

    @property
    def app(self):
        return self.data["app"]

    @property
    def name(self):
        return self.app["name"]

    @property
    def mode(self):
        return self.app["mode"]

    @property
    def version(self):
        """The version Dify reads: a missing or empty one counts as 0.1.0."""
        return self.data.get("version") or DEFAULT_DSL_VERSION

    def secret_variable_names(self):
        """Names of secret environment variables that carry a value in this DSL."""
        workflow = self.data.get("workflow") or {}
        names = []
        for var in workflow.get("environment_variables") or []:
            if isinstance(var, dict) and var.get("value_type") == "secret" and var.get("value") not in (None, ""):
                names.append(var.get("name"))
        return names


def safe_load(text):
    """yaml.safe_load, through libyaml when available."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def _yaml_problem(exc):
    """Where and what, without the snippet of the line PyYAML quotes (it may hold a secret)."""
    parts = []
    for what, mark in (("context", "context_mark"), ("problem", "problem_mark")):
        text, where = getattr(exc, what, None), getattr(exc, mark, None)
        if text:
            parts.append("%s%s" % (text, " at line %d, column %d" % (where.line + 1, where.column + 1) if where else ""))
    return "; ".join(parts) or type(exc).__name__


def _fail(source, problem):
    raise DslError(source, problem)


def _check_variables(source, workflow, key):
    variables = workflow.get(key)
    if variables is None:
        return
    if not isinstance(variables, list):
        _fail(source, "workflow.%s must be a list" % key)
    for index, var in enumerate(variables):
        if not isinstance(var, dict):
            _fail(source, "workflow.%s[%d] must be a mapping" % (key, index))
        if not var.get("name"):
            _fail(source, "workflow.%s[%d] has no name" % (key, index))
        if not var.get("value_type"):
            _fail(source, "workflow.%s[%d] (%s) has no value_type" % (key, index, var.get("name")))


def _check_workflow(source, data, mode):
    workflow = data.get("workflow")
    if not isinstance(workflow, dict):
        _fail(source, "app.mode is %s, so the DSL needs a `workflow` mapping; it has %s"
              % (mode, "none" if workflow is None else "a %s" % type(workflow).__name__))
    graph = workflow.get("graph")
    if graph is not None:
        if not isinstance(graph, dict):
            _fail(source, "workflow.graph must be a mapping")
        for key in ("nodes", "edges"):
            if graph.get(key) is not None and not isinstance(graph.get(key), list):
                _fail(source, "workflow.graph.%s must be a list" % key)
    features = workflow.get("features")
    if features is not None and not isinstance(features, dict):
        _fail(source, "workflow.features must be a mapping")
    _check_variables(source, workflow, "environment_variables")
    _check_variables(source, workflow, "conversation_variables")


def _check_model_config(source, data, mode):
    model_config = data.get("model_config")
    if not isinstance(model_config, dict) or not model_config:
        _fail(source, "app.mode is %s, so the DSL needs a non-empty `model_config` mapping" % mode)
    if "pre_prompt" not in model_config:
        _fail(source, "model_config.pre_prompt is missing (Dify requires the key; it may be empty)")


def load_dsl(text, source="content"):
    """Parse and validate DSL ``text``; ``source`` names it in error messages.

    Raises :class:`DslError` for anything Dify would refuse or import wrongly.
    """
    if not HAS_YAML:
        raise DslError(source, "PyYAML is required to read DSL files: %s" % YAML_IMPORT_ERROR)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            _fail(source, "is not UTF-8 text: %s" % exc)
    if not isinstance(text, str) or not text.strip():
        _fail(source, "is empty")
    if len(text) > DSL_MAX_SIZE:
        _fail(source, "is %d characters long; Dify refuses DSL content above 10 MB (%d)" % (len(text), DSL_MAX_SIZE))
    try:
        data = safe_load(text)
    except YAMLError as exc:
        _fail(source, "is not valid YAML: %s" % _yaml_problem(exc))
    if not isinstance(data, dict):
        _fail(source, "a Dify DSL is a YAML mapping with an `app` section; this is a %s" % type(data).__name__)

    kind = data.get("kind")
    if kind not in (None, "", "app"):
        _fail(source, "kind is %r; only app DSL files (kind: app) can be imported as apps" % (kind,))
    version = data.get("version")
    if version not in (None, ""):
        if not isinstance(version, str):
            _fail(source, "version %r is a YAML %s; Dify only accepts a quoted string such as '0.6.0'"
                  % (version, type(version).__name__))
        if parse_version(version) is None:
            _fail(source, "version %r is not a version Dify can parse" % version)

    app = data.get("app")
    if not app:
        _fail(source, "the DSL has no `app` section")
    if not isinstance(app, dict):
        _fail(source, "`app` must be a mapping")
    mode = app.get("mode")
    if not mode:
        _fail(source, "app.mode is missing; expected one of %s" % ", ".join(APP_MODES))
    if mode not in APP_MODES:
        _fail(source, "app.mode %r is not a Dify app mode; expected one of %s" % (mode, ", ".join(APP_MODES)))
    name = app.get("name")
    if not isinstance(name, str) or not name.strip():
        _fail(source, "app.name is missing or empty; apps are matched by name")

    if mode in WORKFLOW_MODES:
        _check_workflow(source, data, mode)
    else:
        _check_model_config(source, data, mode)
    return DslDocument(text, data, source)


def load_dsl_file(path):
    """Read and validate the DSL file at ``path``."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise DslError(path, "cannot be read: %s" % exc) from exc
    return load_dsl(raw, source=path)


DEFAULT_PATTERNS = ("*.yml", "*.yaml")


def load_dsl_directory(path, patterns=DEFAULT_PATTERNS):
    """Read and validate every DSL file of ``path`` matching ``patterns``.

    Every bad file is reported at once, in one :class:`BatchError`.
    """
    if not os.path.isdir(path):
        raise DslError(path, "is not a directory")
    names = sorted(
        entry for entry in os.listdir(path)
        if os.path.isfile(os.path.join(path, entry)) and any(fnmatch.fnmatch(entry, p) for p in patterns)
    )
    if not names:
        raise DslError(path, "has no file matching %s" % ", ".join(patterns))
    docs, problems = [], []
    for entry in names:
        try:
            docs.append(load_dsl_file(os.path.join(path, entry)))
        except DslError as exc:
            problems.append(str(exc))
    if problems:
        raise BatchError("%d of %d DSL file(s) in %s cannot be applied; nothing was changed:\n- %s"
                         % (len(problems), len(names), path, "\n- ".join(problems)))
    return docs
