# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring a DSL into the form Dify stores, so that two DSLs compare by meaning.

A source file and what Dify exports for it differ in ways the user never
wrote: Dify rewrites ``version``, regenerates ``dependencies``, fills
``icon_type`` and ``rag_pipeline_variables``, gives variables ids and
selectors, fills model_config and feature defaults (features.py), strips
credential ids, and re-indents lists. :func:`normalize` undoes exactly those, following
services/app_dsl_service.py (``_create_or_update_app``, ``export_dsl``),
models/workflow.py (``Workflow.to_dict``) and models/model.py
(``AppModelConfig.to_dict`` / ``from_model_config_dict``) of Dify 1.15.
Everything else, including node positions, titles and the order of nodes
and edges, is content and stays.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.dsl import WORKFLOW_MODES
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.features import with_defaults

ICON_TYPES = ("emoji", "image", "link")

# model_config keys Dify stores, and what to_dict() returns when the stored value is empty.
MODEL_CONFIG_EMPTY = {
    "opening_statement": "",
    "suggested_questions": [],
    "suggested_questions_after_answer": {"enabled": False},
    "speech_to_text": {"enabled": False},
    "text_to_speech": {"enabled": False},
    "retriever_resource": {"enabled": True},
    "more_like_this": {"enabled": False},
    "sensitive_word_avoidance": {"enabled": False, "type": "", "configs": []},
    "external_data_tools": [],
    "model": {},
    "user_input_form": [],
    "dataset_query_variable": "",
    "pre_prompt": "",
    "agent_mode": {"enabled": False, "strategy": None, "tools": [], "prompt": None},
    "prompt_type": "simple",
    "chat_prompt_config": {},
    "completion_prompt_config": {},
    "file_upload": {
        "image": {
            "enabled": False,
            "number_limits": 3,
            "detail": "high",
            "transfer_methods": ["remote_url", "local_file"],
        }
    },
}

FILE_VARIABLE_TYPES = ("file", "file-list")
LOCAL_FILE_ID_KEYS = ("upload_file_id", "uploadedId")


def _text(value, default=""):
    return default if value is None else value


def _app(app, current_app, name):
    """The app section as Dify stores it: created from ``app``, or ``current_app`` updated by it."""
    if current_app is None:
        use_icon = app.get("use_icon_as_answer_icon", False)
        description = app.get("description", "")
        icon_background = app.get("icon_background", "#FFFFFF")
    else:
        # An import over an existing app never touches use_icon_as_answer_icon, and keeps the
        # current description and icon background when the DSL does not set them.
        use_icon = current_app.get("use_icon_as_answer_icon", False)
        if "use_icon_as_answer_icon" in app:
            use_icon = app["use_icon_as_answer_icon"]
        description = app.get("description", current_app.get("description"))
        icon_background = app.get("icon_background", current_app.get("icon_background"))
    icon_type = app.get("icon_type")
    return {
        "name": name or app.get("name") or "",
        "mode": app.get("mode"),
        "icon": str(_text(app.get("icon", ""), "None")),
        "icon_type": icon_type if icon_type in ICON_TYPES else "emoji",
        "icon_background": _text(icon_background),
        "description": _text(description),
        "use_icon_as_answer_icon": bool(use_icon),
    }


def _variable(var, node_id, keep_secret):
    out = dict(var)
    out.pop("id", None)  # Dify assigns one when missing; nothing refers to it
    out["description"] = _text(out.get("description"))
    out["selector"] = [node_id, out.get("name")]
    if out.get("value_type") == "secret" and not keep_secret:
        out["value"] = ""
    return out


def _sanitize_file_default(value):
    """What export does to the default of a file variable (tenant-local files are dropped)."""
    if isinstance(value, list):
        items = [item for item in (_sanitize_file_default(v) for v in value) if item is not None]
        return items or None
    if not isinstance(value, dict):
        return value
    method = value.get("transfer_method") or value.get("transferMethod")
    if method == "local_file" or any(key in value for key in LOCAL_FILE_ID_KEYS):
        return None
    return dict((k, v) for k, v in value.items() if k not in LOCAL_FILE_ID_KEYS)


def _node(node, keep_secret):
    data = node.get("data") if isinstance(node, dict) else None
    if not isinstance(data, dict) or not data:
        return
    kind = data.get("type", "")
    if kind == "tool" and not keep_secret:
        data.pop("credential_id", None)
    if kind == "agent" and not keep_secret:
        tools = ((data.get("agent_parameters") or {}).get("tools") or {}).get("value") or []
        for tool in tools:
            if isinstance(tool, dict):
                tool.pop("credential_id", None)
    if kind == "trigger-schedule":
        data.pop("config", None)  # export replaces it with the default schedule
    if kind == "trigger-webhook":
        data.pop("webhook_url", None)
        data.pop("webhook_debug_url", None)
    if kind == "trigger-plugin":
        data.pop("subscription_id", None)
    variables = data.get("variables")
    if isinstance(variables, list):
        for var in variables:
            if isinstance(var, dict) and var.get("type") in FILE_VARIABLE_TYPES and "default" in var:
                clean = _sanitize_file_default(var["default"])
                if clean is None:
                    var.pop("default")
                else:
                    var["default"] = clean


def _workflow(workflow, mode, keep_secret):
    graph = copy.deepcopy(workflow.get("graph") or {})
    for node in graph.get("nodes") or []:
        _node(node, keep_secret)
    return {
        "graph": graph,
        # Dify stores features with its validation's defaults filled in (features.py).
        "features": with_defaults(mode, workflow.get("features")),
        "environment_variables": [
            _variable(v, "env", keep_secret) for v in workflow.get("environment_variables") or []
        ],
        "conversation_variables": [
            _variable(v, "conversation", True) for v in workflow.get("conversation_variables") or []
        ],
        # rag_pipeline_variables: an app import never stores them and export always writes [].
    }


def _model_config(model_config):
    out = {}
    for key, empty in MODEL_CONFIG_EMPTY.items():
        value = model_config.get(key)
        if key == "prompt_type":
            out[key] = value if key in model_config and value is not None else empty
        elif key in ("opening_statement", "dataset_query_variable", "pre_prompt"):
            out[key] = _text(value)
        else:
            out[key] = copy.deepcopy(value) if value else copy.deepcopy(empty)
    dataset_configs = model_config.get("dataset_configs")
    if not dataset_configs:
        out["dataset_configs"] = {"retrieval_model": "multiple"}
    elif "retrieval_model" not in dataset_configs:
        out["dataset_configs"] = {"retrieval_model": "single"}
    else:
        out["dataset_configs"] = copy.deepcopy(dataset_configs)
    # annotation_reply comes from the app's annotation settings, not from the DSL.
    for tool in (out["agent_mode"] or {}).get("tools") or []:
        if isinstance(tool, dict):
            tool.pop("credential_id", None)  # export always strips it
    return out


def normalize(data, current=None, keep_secret=False, name=None):
    """Return the semantic form of DSL ``data``.

    ``current`` is the normalised (or raw) current export when ``data`` is
    about to be imported over an existing app, so that keys the DSL leaves
    out take the value Dify keeps. ``keep_secret`` says whether secret
    values and credential ids take part (they do only when both sides were
    read with include_secret). ``name`` overrides ``app.name``.
    """
    app = data.get("app") or {}
    current_app = (current or {}).get("app") if current is not None else None
    result = {"app": _app(app, current_app, name)}
    if app.get("mode") in WORKFLOW_MODES:
        result["workflow"] = _workflow(data.get("workflow") or {}, app.get("mode"), keep_secret)
    else:
        result["model_config"] = _model_config(data.get("model_config") or {})
    return result
