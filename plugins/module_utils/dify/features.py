# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The defaults Dify fills into a workflow's ``features`` when it stores them.

On import, ``WorkflowService.sync_draft_workflow`` (api/services/workflow_service.py)
runs ``validate_features_structure``: the app mode's ``config_validate``, whose
feature managers fill their defaults into the very dict that is then stored
and exported. A DSL that leaves a default out therefore never equals its
export unless both sides are filled the same way. From langgenius/dify 1.15.0:

* api/core/app/apps/workflow/app_config_manager.py (``WorkflowAppConfigManager.config_validate``)
  and api/core/app/apps/advanced_chat/app_config_manager.py
  (``AdvancedChatAppConfigManager.config_validate``): which features each mode fills;
* api/core/app/app_config/features/{file_upload,opening_statement,suggested_questions_after_answer,
  speech_to_text,text_to_speech,retrieval_resource}/manager.py and
  api/core/app/app_config/common/sensitive_word_avoidance/manager.py
  (``validate_and_set_defaults``): the defaults.

Every manager replaces a *falsy* value (missing, null, ``{}``, ``''``, ``[]``)
with its default, and a switch whose ``enabled`` is missing or falsy becomes
``enabled: false``; a disabled text_to_speech also loses its voice and language.
Values of the wrong type are left as they are: Dify refuses them on import, and
the import result says so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# (feature, default when falsy, "enabled" is forced to False when falsy)
_FILE_UPLOAD = ("file_upload", {}, False)
_OPENING_STATEMENT = ("opening_statement", "", False)
_SUGGESTED_QUESTIONS = ("suggested_questions", [], False)
_AFTER_ANSWER = ("suggested_questions_after_answer", {"enabled": False}, True)
_SPEECH_TO_TEXT = ("speech_to_text", {"enabled": False}, True)
_TEXT_TO_SPEECH = ("text_to_speech", {"enabled": False, "voice": "", "language": ""}, True)
_RETRIEVER_RESOURCE = ("retriever_resource", {"enabled": False}, True)
_SENSITIVE_WORDS = ("sensitive_word_avoidance", {"enabled": False}, True)

FILLED_BY_MODE = {
    "workflow": (_FILE_UPLOAD, _TEXT_TO_SPEECH, _SENSITIVE_WORDS),
    "advanced-chat": (_FILE_UPLOAD, _OPENING_STATEMENT, _SUGGESTED_QUESTIONS, _AFTER_ANSWER,
                      _SPEECH_TO_TEXT, _TEXT_TO_SPEECH, _RETRIEVER_RESOURCE, _SENSITIVE_WORDS),
}


def with_defaults(mode, features):
    """A copy of ``features`` with the defaults Dify fills in for an app of ``mode``."""
    if features is not None and not isinstance(features, dict):
        return copy.deepcopy(features)
    out = copy.deepcopy(features) if features else {}
    for key, default, switch in FILLED_BY_MODE.get(mode, ()):
        if not out.get(key):
            out[key] = copy.deepcopy(default)
        value = out[key]
        if switch and isinstance(value, dict) and not value.get("enabled"):
            value["enabled"] = False
            if key == "text_to_speech":
                value["voice"] = ""
                value["language"] = ""
    return out
