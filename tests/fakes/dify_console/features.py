"""What Dify 1.15 does to a workflow's ``features`` when it imports a DSL.

``WorkflowService.sync_draft_workflow`` (api/services/workflow_service.py) calls
``validate_features_structure``, which runs the app mode's ``config_validate``
with ``only_structure_validate=True``. Each feature manager's
``validate_and_set_defaults`` fills its defaults *into the dict it was given*,
and that same dict is then stored (``features=json.dumps(features)``), so the
export carries the defaults. Written from langgenius/dify 1.15.0, api/core/app/:

* apps/workflow/app_config_manager.py ``WorkflowAppConfigManager.config_validate``:
  file_upload, text_to_speech, sensitive_word_avoidance;
* apps/advanced_chat/app_config_manager.py ``AdvancedChatAppConfigManager.config_validate``:
  file_upload, opening_statement (with suggested_questions),
  suggested_questions_after_answer, speech_to_text, text_to_speech,
  retriever_resource, sensitive_word_avoidance;
* app_config/features/<name>/manager.py and
  app_config/common/sensitive_word_avoidance/manager.py: the defaults and type checks.

Deliberately independent of plugins/module_utils/dify/features.py: the fake
follows the upstream managers, the module follows its own reading of them,
and the tests compare the two against real exports.
"""


def _file_upload(config):
    # features/file_upload/manager.py: a falsy value becomes {}; a set one is validated, not filled.
    if not config.get("file_upload"):
        config["file_upload"] = {}
    elif not isinstance(config["file_upload"], dict):
        raise ValueError("file_upload must be of dict type")


def _opening_statement(config):
    if not config.get("opening_statement"):
        config["opening_statement"] = ""
    if not isinstance(config["opening_statement"], str):
        raise ValueError("opening_statement must be of string type")
    if not config.get("suggested_questions"):
        config["suggested_questions"] = []
    if not isinstance(config["suggested_questions"], list):
        raise ValueError("suggested_questions must be of list type")
    for question in config["suggested_questions"]:
        if not isinstance(question, str):
            raise ValueError("Elements in suggested_questions list must be of string type")


def _switch(key, default_enabled=False):
    """The managers of one ``{enabled: bool}`` feature: suggested_questions_after_answer,
    speech_to_text, retriever_resource."""

    def validate(config):
        if not config.get(key):
            config[key] = {"enabled": default_enabled}
        if not isinstance(config[key], dict):
            raise ValueError("%s must be of dict type" % key)
        if "enabled" not in config[key] or not config[key]["enabled"]:
            config[key]["enabled"] = False
        if not isinstance(config[key]["enabled"], bool):
            raise ValueError("enabled in %s must be of boolean type" % key)

    return validate


def _text_to_speech(config):
    if not config.get("text_to_speech"):
        config["text_to_speech"] = {"enabled": False, "voice": "", "language": ""}
    if not isinstance(config["text_to_speech"], dict):
        raise ValueError("text_to_speech must be of dict type")
    if "enabled" not in config["text_to_speech"] or not config["text_to_speech"]["enabled"]:
        config["text_to_speech"]["enabled"] = False
        config["text_to_speech"]["voice"] = ""
        config["text_to_speech"]["language"] = ""
    if not isinstance(config["text_to_speech"]["enabled"], bool):
        raise ValueError("enabled in text_to_speech must be of boolean type")


def _sensitive_word_avoidance(config):
    if not config.get("sensitive_word_avoidance"):
        config["sensitive_word_avoidance"] = {"enabled": False}
    if not isinstance(config["sensitive_word_avoidance"], dict):
        raise ValueError("sensitive_word_avoidance must be of dict type")
    if "enabled" not in config["sensitive_word_avoidance"] or not config["sensitive_word_avoidance"]["enabled"]:
        config["sensitive_word_avoidance"]["enabled"] = False
    if config["sensitive_word_avoidance"]["enabled"] and not config["sensitive_word_avoidance"].get("type"):
        raise ValueError("sensitive_word_avoidance.type is required")


VALIDATORS = {
    "workflow": (_file_upload, _text_to_speech, _sensitive_word_avoidance),
    "advanced-chat": (
        _file_upload,
        _opening_statement,
        _switch("suggested_questions_after_answer"),
        _switch("speech_to_text"),
        _text_to_speech,
        _switch("retriever_resource"),
        _sensitive_word_avoidance,
    ),
}


def validate_and_set_defaults(mode, features):
    """Fill ``features`` in place as Dify's config_validate does for ``mode``; raise ValueError like it."""
    if not isinstance(features, dict):
        raise ValueError("features must be of dict type")
    for validate in VALIDATORS[mode]:
        validate(features)
    return features
