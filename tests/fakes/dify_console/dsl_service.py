"""The fake's app store: DSL import, confirm and export the way Dify 1.15 does them.

Written from the upstream source, not from the collection's code, so that
the modules are tested against Dify's behaviour rather than against their
own assumptions:

* api/services/app_dsl_service.py: ``import_app`` (status table, 10 MB cap,
  overwrite restricted to workflow and advanced-chat, pending imports kept
  10 minutes, an app created before a later check fails and stays
  committed), ``confirm_import``, ``_create_or_update_app`` (what an import
  over an existing app changes and what it keeps), ``export_dsl`` and
  ``_append_workflow_export_data`` (version rewritten, tool credential ids
  stripped, trigger fields reset, dependencies regenerated through the plugin
  daemon), ``_strip_tenant_file_defaults_from_workflow_dict``;
* api/services/dsl_version.py: ``check_version_compatibility``;
* api/services/workflow_service.py ``sync_draft_workflow``: the features are
  stored with the defaults that Dify's feature validation fills in (features.py);
* api/services/plugin/dependencies_analysis.py ``generate_latest_dependencies``:
  an old DSL (<= 0.1.5) without dependencies consults the marketplace, and only
  when MARKETPLACE_ENABLED is true; never the plugin daemon;
* api/models/workflow.py ``Workflow.to_dict`` (secret values blanked,
  ``rag_pipeline_variables``), api/factories/variable_factory.py (ids and
  selectors given to variables);
* api/models/model.py ``AppModelConfig.from_model_config_dict`` / ``to_dict``
  (what a chat app's model_config becomes).

The export is serialised with ``yaml.dump(export_data, allow_unicode=True)``
like Dify, so it re-indents lists and sorts keys exactly as the files under
tests/fixtures/dify-dsl/exported-by-dify-1.15 show.
"""

import copy
import hashlib
import itertools
import json
import time
import uuid

import yaml
from packaging import version as pkg_version

from .features import validate_and_set_defaults

DSL_MAX_SIZE = 10 * 1024 * 1024
IMPORT_INFO_EXPIRY = 10 * 60
WORKFLOW_MODES = ("workflow", "advanced-chat")
APP_MODES = ("completion", "workflow", "chat", "advanced-chat", "agent-chat", "channel", "rag-pipeline")
ICON_TYPES = ("emoji", "image", "link")
FILE_VARIABLE_TYPES = ("file", "file-list")
LOCAL_FILE_ID_KEYS = ("upload_file_id", "uploadedId")


class PluginDaemonDown(Exception):
    """What core/plugin/impl/base.py raises when the daemon does not answer."""

    def __init__(self):
        super().__init__("Failed to request plugin daemon, status: 503, url: /plugin/tenant/management/list")


class WorkflowNotFound(Exception):
    pass


def check_version_compatibility(imported, current):
    try:
        current_ver = pkg_version.parse(current)
        imported_ver = pkg_version.parse(imported)
    except pkg_version.InvalidVersion:
        return "failed"
    if imported_ver > current_ver:
        return "pending"
    if imported_ver.major < current_ver.major:
        return "pending"
    if imported_ver.minor < current_ver.minor:
        return "completed-with-warnings"
    return "completed"


def _build_variable(mapping, node_id):
    if not mapping.get("name"):
        raise ValueError("missing name")
    if not mapping.get("value_type"):
        raise ValueError("missing value type")
    var = {
        "id": mapping.get("id") or str(uuid.uuid4()),
        "name": mapping["name"],
        "description": mapping.get("description", "") or "",
        "selector": [node_id, mapping["name"]],
        "value_type": mapping["value_type"],
        "value": mapping.get("value"),
    }
    return var


def _json_roundtrip(value):
    # Dify keeps graph and features as JSON text in the database.
    return json.loads(json.dumps(value))


class ModelConfig:
    """AppModelConfig: the columns from_model_config_dict fills, and to_dict."""

    def __init__(self, mc):
        def dumped(key):
            return json.dumps(mc[key]) if mc.get(key) else None

        self.opening_statement = mc.get("opening_statement")
        self.suggested_questions = dumped("suggested_questions")
        self.suggested_questions_after_answer = dumped("suggested_questions_after_answer")
        self.speech_to_text = dumped("speech_to_text")
        self.text_to_speech = dumped("text_to_speech")
        self.more_like_this = dumped("more_like_this")
        self.sensitive_word_avoidance = dumped("sensitive_word_avoidance")
        self.external_data_tools = dumped("external_data_tools")
        self.model = dumped("model")
        self.user_input_form = dumped("user_input_form")
        self.dataset_query_variable = mc.get("dataset_query_variable")
        self.pre_prompt = mc["pre_prompt"]
        self.agent_mode = dumped("agent_mode")
        self.retriever_resource = dumped("retriever_resource")
        self.prompt_type = mc.get("prompt_type", "simple")
        self.chat_prompt_config = dumped("chat_prompt_config")
        self.completion_prompt_config = dumped("completion_prompt_config")
        self.dataset_configs = dumped("dataset_configs")
        self.file_upload = dumped("file_upload")

    @staticmethod
    def _loads(value, empty):
        return json.loads(value) if value else empty

    def to_dict(self):
        if self.dataset_configs:
            dataset_configs = json.loads(self.dataset_configs)
            if "retrieval_model" not in dataset_configs:
                dataset_configs = {"retrieval_model": "single"}
        else:
            dataset_configs = {"retrieval_model": "multiple"}
        return {
            "opening_statement": self.opening_statement,
            "suggested_questions": self._loads(self.suggested_questions, []),
            "suggested_questions_after_answer": self._loads(self.suggested_questions_after_answer, {"enabled": False}),
            "speech_to_text": self._loads(self.speech_to_text, {"enabled": False}),
            "text_to_speech": self._loads(self.text_to_speech, {"enabled": False}),
            "retriever_resource": self._loads(self.retriever_resource, {"enabled": True}),
            "annotation_reply": {"enabled": False},
            "more_like_this": self._loads(self.more_like_this, {"enabled": False}),
            "sensitive_word_avoidance": self._loads(
                self.sensitive_word_avoidance, {"enabled": False, "type": "", "configs": []}),
            "external_data_tools": self._loads(self.external_data_tools, []),
            "model": self._loads(self.model, {}),
            "user_input_form": self._loads(self.user_input_form, []),
            "dataset_query_variable": self.dataset_query_variable,
            "pre_prompt": self.pre_prompt,
            "agent_mode": self._loads(
                self.agent_mode, {"enabled": False, "strategy": None, "tools": [], "prompt": None}),
            "prompt_type": self.prompt_type,
            "chat_prompt_config": self._loads(self.chat_prompt_config, {}),
            "completion_prompt_config": self._loads(self.completion_prompt_config, {}),
            "dataset_configs": dataset_configs,
            "file_upload": self._loads(self.file_upload, {"image": {
                "enabled": False, "number_limits": 3, "detail": "high",
                "transfer_methods": ["remote_url", "local_file"]}}),
        }


class App:
    def __init__(self, app_id, tenant_id, created_at):
        self.id = app_id
        self.tenant_id = tenant_id
        self.mode = None
        self.name = ""
        self.description = ""
        self.icon_type = "emoji"
        self.icon = ""
        self.icon_background = "#FFFFFF"
        self.use_icon_as_answer_icon = False
        self.enable_site = True
        self.enable_api = True
        self.created_at = created_at
        self.updated_at = created_at
        self.workflow = None  # the draft: {"id", "graph", "features", "environment_variables", "conversation_variables"}
        self.model_config = None

    def detail(self):
        return {
            "id": self.id, "name": self.name, "description": self.description, "mode": self.mode,
            "icon_type": self.icon_type, "icon": self.icon, "icon_background": self.icon_background,
            "icon_url": None, "use_icon_as_answer_icon": self.use_icon_as_answer_icon,
            "enable_site": self.enable_site, "enable_api": self.enable_api, "max_active_requests": None,
            "created_by": "fake-account", "created_at": int(self.created_at), "updated_by": "fake-account",
            "updated_at": int(self.updated_at), "tags": [], "access_mode": "public",
            "workflow": {"id": self.workflow["id"]} if self.workflow else None,
        }


class DslService:
    """Apps of one workspace and the pending imports, behind the console endpoints."""

    def __init__(self, tenant_id, current_dsl_version="0.6.0", clock=time.time):
        self.tenant_id = tenant_id
        self.current_dsl_version = current_dsl_version
        self.apps = {}
        self.pending = {}
        self.plugin_daemon_up = True
        # MARKETPLACE_ENABLED, false in an air gap (the dify role's dify_marketplace_enabled default);
        # when true, the fake has no network, so the marketplace never answers.
        self.marketplace_enabled = False
        self.pending_ttl = IMPORT_INFO_EXPIRY
        self.clock = clock
        self._sequence = itertools.count()

    # -- import -----------------------------------------------------------------------------
    def _result(self, import_id, status, app=None, app_id=None, imported="", error=""):
        result = {
            "id": import_id, "status": status,
            "app_id": app.id if app else app_id,
            "app_mode": app.mode if app else None,
            "current_dsl_version": self.current_dsl_version,
            "imported_dsl_version": imported, "error": error,
        }
        if pkg_version.parse(self.current_dsl_version) >= pkg_version.parse("0.7.0"):
            # Dify 1.16 (DSL 0.7.0) adds structured warnings to the answer.
            result["warnings"] = []
            if status == "completed-with-warnings":
                result["warnings"].append({
                    "code": "dsl_version_outdated", "path": "version",
                    "message": "The DSL version %s is older than %s." % (imported, self.current_dsl_version),
                    "details": {"imported": imported, "current": self.current_dsl_version},
                })
        return result

    def import_app(self, payload):
        import_id = str(uuid.uuid4())
        import_mode = payload.get("mode")
        if import_mode not in ("yaml-content", "yaml-url"):
            raise ValueError("Invalid import_mode: %s" % import_mode)
        if import_mode == "yaml-url":
            return self._result(import_id, "failed", error="Error fetching YAML from URL: no network in the fake")
        content = payload.get("yaml_content")
        if not content:
            return self._result(import_id, "failed", error="yaml_content is required when import_mode is yaml-content")
        if len(content) > DSL_MAX_SIZE:
            return self._result(import_id, "failed", error="File size exceeds the limit of 10MB")
        app_id = payload.get("app_id")
        try:
            data = yaml.safe_load(content)
            if not isinstance(data, dict):
                return self._result(import_id, "failed", error="Invalid YAML format: content must be a mapping")
            if not data.get("version"):
                data["version"] = "0.1.0"
            if not data.get("kind") or data.get("kind") != "app":
                data["kind"] = "app"
            imported_version = data.get("version", "0.1.0")
            if not isinstance(imported_version, str):
                raise ValueError("Invalid version type, expected str, got %s" % type(imported_version))
            status = check_version_compatibility(imported_version, self.current_dsl_version)
            if not data.get("app"):
                return self._result(import_id, "failed", error="Missing app data in YAML content")
            app = None
            if app_id:
                app = self.apps.get(app_id)
                if not app:
                    return self._result(import_id, "failed", error="App not found")
                if app.mode not in WORKFLOW_MODES:
                    return self._result(import_id, "failed",
                                        error="Only workflow or advanced chat apps can be overwritten")
            if status == "pending":
                self.pending[import_id] = (self.clock() + self.pending_ttl, {
                    "import_mode": import_mode, "yaml_content": content, "app_id": app_id,
                    "name": payload.get("name"), "description": payload.get("description"),
                    "icon_type": payload.get("icon_type"), "icon": payload.get("icon"),
                    "icon_background": payload.get("icon_background"),
                })
                return self._result(import_id, status, app_id=app_id, imported=imported_version)
            dependencies = data.get("dependencies", [])
            if not dependencies and pkg_version.parse(imported_version) <= pkg_version.parse("0.1.5"):
                # api/services/plugin/dependencies_analysis.py generate_latest_dependencies: returns []
                # when MARKETPLACE_ENABLED is false, else asks the marketplace (never the plugin daemon).
                self._marketplace()
            # Upstream quirk, kept: an unparseable version gives status "failed" but the app is still
            # created (the status is not checked before _create_or_update_app).
            app = self._create_or_update(app, data, payload)
            return self._result(import_id, status, app=app, imported=imported_version)
        except yaml.YAMLError as exc:
            return self._result(import_id, "failed", error="Invalid YAML format: %s" % exc)
        # Dify turns every other error into a failed import.
        except Exception as exc:  # pylint: disable=broad-except
            return self._result(import_id, "failed", error=str(exc))

    def confirm_import(self, import_id):
        entry = self.pending.get(import_id)
        if not entry or entry[0] < self.clock():
            self.pending.pop(import_id, None)
            return self._result(import_id, "failed", error="Import information expired or does not exist")
        pending = entry[1]
        try:
            data = yaml.safe_load(pending["yaml_content"])
            app = self.apps.get(pending["app_id"]) if pending["app_id"] else None
            app = self._create_or_update(app, data, pending)
            del self.pending[import_id]
            return self._result(import_id, "completed", app=app, imported=data.get("version", "0.1.0"))
        except Exception as exc:  # pylint: disable=broad-except
            return self._result(import_id, "failed", error=str(exc))

    def _create_or_update(self, app, data, overrides):
        app_data = data.get("app", {})
        app_mode = app_data.get("mode")
        if not app_mode:
            raise ValueError("loss app mode")
        if app_mode not in APP_MODES:
            raise ValueError("invalid mode value %s" % app_mode)
        icon_type_value = overrides.get("icon_type") or app_data.get("icon_type")
        icon_type = icon_type_value if icon_type_value in ICON_TYPES else "emoji"
        icon = overrides.get("icon") or str(app_data.get("icon", ""))
        now = self.clock()
        if app:
            app.name = overrides.get("name") or app_data.get("name", app.name)
            app.description = overrides.get("description") or app_data.get("description", app.description)
            app.icon_type = icon_type
            app.icon = icon
            app.icon_background = overrides.get("icon_background") or app_data.get("icon_background", app.icon_background)
            app.updated_at = now
        else:
            app = App(str(uuid.uuid4()), self.tenant_id, now + next(self._sequence) * 1e-6)
            app.mode = app_mode
            app.name = overrides.get("name") or app_data.get("name", "")
            app.description = overrides.get("description") or app_data.get("description", "")
            app.icon_type = icon_type
            app.icon = icon
            app.icon_background = overrides.get("icon_background") or app_data.get("icon_background", "#FFFFFF")
            app.use_icon_as_answer_icon = app_data.get("use_icon_as_answer_icon", False)
            # The session is committed even when a later step raises: the app stays, half-imported.
            self.apps[app.id] = app

        if app_mode in WORKFLOW_MODES:
            workflow = data.get("workflow")
            if not workflow or not isinstance(workflow, dict):
                raise ValueError("Missing workflow data for workflow/advanced chat app")
            env = [_build_variable(v, "env") for v in workflow.get("environment_variables", [])]
            conv = [_build_variable(v, "conversation")
                    for v in workflow.get("conversation_variables", [])]
            draft_id = app.workflow["id"] if app.workflow else str(uuid.uuid4())
            # sync_draft_workflow validates the features in place, and stores them with the defaults filled.
            features = validate_and_set_defaults(app_mode, _json_roundtrip(workflow.get("features", {})))
            app.workflow = {
                "id": draft_id,
                "graph": _json_roundtrip(workflow.get("graph", {})),
                "features": features,
                "environment_variables": env,
                "conversation_variables": conv,
            }
        else:
            model_config = data.get("model_config")
            if not model_config or not isinstance(model_config, dict):
                raise ValueError("Missing model_config for chat/agent-chat/completion app")
            if not app.model_config:
                app.model_config = ModelConfig(model_config)
        return app

    def _marketplace(self):
        if self.marketplace_enabled:
            raise ConnectionError("Failed to fetch plugin manifests from the marketplace: no network in the fake")

    # -- export -----------------------------------------------------------------------------
    def _plugin_daemon(self):
        if not self.plugin_daemon_up:
            raise PluginDaemonDown()

    @staticmethod
    def _dependency(provider):
        if not provider:
            return None
        parts = provider.split("/")
        plugin = "/".join(parts[:2]) if len(parts) >= 2 else "langgenius/%s" % provider
        digest = hashlib.sha256(plugin.encode()).hexdigest()
        return {
            "current_identifier": None,
            "type": "marketplace",
            "value": {"marketplace_plugin_unique_identifier": "%s:0.0.1@%s" % (plugin, digest)},
        }

    def _dependencies(self, providers):
        self._plugin_daemon()
        seen = []
        for provider in providers:
            dep = self._dependency(provider)
            if dep and dep not in seen:
                seen.append(dep)
        return seen

    @staticmethod
    def _sanitize_file_default(value):
        if isinstance(value, list):
            items = [i for i in (DslService._sanitize_file_default(v) for v in value) if i is not None]
            return items or None
        if not isinstance(value, dict):
            return value
        method = value.get("transfer_method") or value.get("transferMethod")
        if method == "local_file" or any(k in value for k in LOCAL_FILE_ID_KEYS):
            return None
        return {k: v for k, v in value.items() if k not in LOCAL_FILE_ID_KEYS}

    def export(self, app, include_secret=False, workflow_id=None):
        export = {
            "version": self.current_dsl_version,
            "kind": "app",
            "app": {
                "name": app.name, "mode": app.mode, "icon": app.icon, "icon_type": app.icon_type,
                "icon_background": app.icon_background, "description": app.description,
                "use_icon_as_answer_icon": app.use_icon_as_answer_icon,
            },
        }
        if app.mode in WORKFLOW_MODES:
            draft = app.workflow
            if not draft or (workflow_id and workflow_id != draft["id"]):
                raise WorkflowNotFound("Missing draft workflow configuration, please check.")
            env = [dict(v) for v in draft["environment_variables"]]
            for var in env:
                if var["value_type"] == "secret" and not include_secret:
                    var["value"] = ""
            workflow = {
                "graph": copy.deepcopy(draft["graph"]),
                "features": copy.deepcopy(draft["features"]),
                "environment_variables": env,
                "conversation_variables": copy.deepcopy(draft["conversation_variables"]),
                "rag_pipeline_variables": [],
            }
            providers = []
            for node in workflow["graph"].get("nodes", []):
                data = node.get("data", {})
                if not data:
                    continue
                for var in data.get("variables") or []:
                    if isinstance(var, dict) and var.get("type") in FILE_VARIABLE_TYPES and "default" in var:
                        clean = self._sanitize_file_default(var["default"])
                        if clean is None:
                            var.pop("default")
                        else:
                            var["default"] = clean
                kind = data.get("type", "")
                if kind == "tool" and not include_secret:
                    data.pop("credential_id", None)
                if kind == "agent" and not include_secret:
                    for tool in data.get("agent_parameters", {}).get("tools", {}).get("value", []):
                        tool.pop("credential_id", None)
                if kind == "trigger-schedule":
                    data["config"] = {"mode": "visual", "frequency": "daily", "visual_config": {"time": "12:00 AM"},
                                      "timezone": "UTC"}
                if kind == "trigger-webhook":
                    data["webhook_url"] = ""
                    data["webhook_debug_url"] = ""
                if kind == "trigger-plugin":
                    data["subscription_id"] = ""
                if kind in ("llm", "question-classifier", "parameter-extractor"):
                    providers.append((data.get("model") or {}).get("provider"))
            export["workflow"] = workflow
            export["dependencies"] = self._dependencies(providers)
        else:
            if not app.model_config:
                raise ValueError("Missing app configuration, please check.")
            model_config = app.model_config.to_dict()
            for tool in model_config.get("agent_mode", {}).get("tools", []):
                tool.pop("credential_id", None)
            export["model_config"] = model_config
            export["dependencies"] = self._dependencies([(model_config.get("model") or {}).get("provider")])
        return yaml.dump(export, allow_unicode=True)
