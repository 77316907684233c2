"""The fake's per-app tracing: the app ``trace`` switch and the ``trace-config`` store, as Dify does them.

Written from the upstream source (langgenius/dify, api/), not from the collection's code:

* controllers/console/app/app.py ``AppTraceApi``: ``GET /apps/<id>/trace`` answers
  ``OpsTraceManager.get_app_tracing_config``; ``POST`` validates ``AppTracePayload``
  (``enabled`` required, ``tracing_provider`` required when ``enabled`` is true) outside any
  try, so a bad payload is a ValueError that libs/external_api.py answers with
  ``400 {"code": "invalid_param", "message": str(e)}``; answers ``{"result": "success"}``.
* core/ops/ops_trace_manager.py: ``get_app_tracing_config`` (``{"enabled": false,
  "tracing_provider": null}`` when the app has none; ``ValueError("App not found")``),
  ``update_app_tracing_config`` (``ValueError("Invalid tracing provider: ...")``, stores
  ``{"enabled", "tracing_provider"}``), ``encrypt_tracing_config`` (every key of
  ``secret_keys`` encrypted with the tenant's key, except a value containing ``*``, which
  keeps the current encrypted value; the ``other_keys`` default to ""),
  ``decrypt_tracing_config``, ``obfuscated_decrypt_token``, and the provider map (langfuse:
  secret_keys public_key and secret_key, other_keys host and project_key).
* core/helper/encrypter.py ``obfuscated_token``: first 6 characters, 12 ``*``, last 2;
  20 ``*`` for a token of 8 characters or fewer.
* core/ops/entities/config_entity.py ``LangfuseConfig`` (public_key and secret_key required
  strings, host validated by core/ops/utils.py ``validate_url_with_path``: empty becomes the
  default host, any other scheme than http/https is refused; unknown keys are dropped).
* services/ops_service.py ``OpsService``: create (unknown provider answers
  ``{"error": ...}``; the config is validated, then checked against Langfuse; the project URL
  is looked up, a failure leaving it out; an existing config answers None), update (the
  merged, decrypted config is checked against Langfuse again), get (decrypted, obfuscated,
  the project URL looked up again on every read, ``{host}/`` when Langfuse does not answer),
  delete.
* controllers/console/app/ops_trace.py ``TraceAppConfigApi``: the app is looked up first
  (``get_app_model``: 404 for another workspace's or a missing app); every service error,
  and the TracingConfigIsExist / TracingConfigCheckError / TracingConfigNotExist of
  controllers/console/app/error.py, is re-raised as ``BadRequest(str(e))``: HTTP 400,
  code ``bad_request``, and for those three the message ``"400 Bad Request: <description>"``
  (werkzeug's ``str()`` of an HTTPException). Create and update answer
  ``{"result": "success"}`` with 200, delete an empty 204.

Langfuse itself is not here: the tests register the projects whose keys it accepts with
:meth:`TracingStore.add_langfuse_project`. Any other key pair fails the check the way
``LangFuseDataTrace.api_check`` does (``ValueError("LangFuse API check failed: ...")``).
The encryption is opaque, as for a client of the real API: a stored value is a random
token that only this store can turn back into the key.
"""

import base64
import json
import os
import time
import uuid

from .errors import HttpError

PROVIDERS = {
    # provider: (secret_keys, other_keys, required fields, default host)
    "langfuse": (("public_key", "secret_key"), ("host", "project_key"), ("public_key", "secret_key"),
                 "https://cloud.langfuse.com"),
}
FIELDS = {"langfuse": ("public_key", "secret_key", "host")}


def obfuscated_token(token):
    if not token:
        return token
    if len(token) <= 8:
        return "*" * 20
    return token[:6] + "*" * 12 + token[-2:]


def _bad_request(message):
    return HttpError(400, "bad_request", message)


def _werkzeug_str(description):
    return "400 Bad Request: %s" % description


class ConfigInvalid(ValueError):
    """What pydantic raises for LangfuseConfig: the message lists each field in error."""

    def __init__(self, model, errors):
        lines = ["%d validation error%s for %s" % (len(errors), "" if len(errors) == 1 else "s", model)]
        for field, text, kind, value in errors:
            lines.append(field)
            shown = "input_value=%r, input_type=%s" % (value, type(value).__name__)
            lines.append("  %s [type=%s, %s]" % (text, kind, shown))
        super().__init__("\n".join(lines))


def validate_config(provider, data):
    """LangfuseConfig(**data).model_dump(): required strings, host through validate_url_with_path."""
    _secret_keys, _other, required, default_host = PROVIDERS[provider]
    errors = []
    out = {}
    for field in FIELDS[provider]:
        value = data.get(field)
        if field in required:
            if field not in data:
                errors.append((field, "Field required", "missing", data))
                continue
            if not isinstance(value, str):
                errors.append((field, "Input should be a valid string", "string_type", value))
                continue
            out[field] = value
        else:  # host
            if field not in data:
                out[field] = default_host
                continue
            if not isinstance(value, str):
                errors.append((field, "Input should be a valid string", "string_type", value))
                continue
            if not value or value.strip() == "":
                out[field] = default_host
            elif value.split("://", 1)[0] not in ("http", "https") or "://" not in value:
                errors.append((field, "Value error, URL must start with https:// or http://", "value_error", value))
            else:
                out[field] = value
    if errors:
        raise ConfigInvalid("LangfuseConfig", errors)
    return out


class TraceConfigRecord:
    def __init__(self, app_id, provider, config):
        self.id = str(uuid.uuid4())
        self.app_id = app_id
        self.tracing_provider = provider
        self.tracing_config = config  # encrypted secret keys, as Dify stores them
        self.is_active = True
        self.created_at = time.strftime("%Y-%m-%d %H:%M:%S")
        self.updated_at = self.created_at

    def to_dict(self, config):
        return {
            "id": self.id, "app_id": self.app_id, "tracing_provider": self.tracing_provider,
            "tracing_config": config, "is_active": self.is_active,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }


class TracingStore:
    """Per-app tracing of one workspace: the ``App.tracing`` column and the trace_app_config table."""

    def __init__(self):
        self.app_tracing = {}  # app id -> JSON text, as App.tracing holds it
        self.configs = {}  # (app id, provider) -> TraceConfigRecord
        self.langfuse_projects = {}  # (host, public_key, secret_key) -> project id
        self._vault = {}  # encrypted token -> token: the tenant's private key, in effect
        self.langfuse_checks = 0

    # -- what tests set up -------------------------------------------------------------------
    def add_langfuse_project(self, host, public_key, secret_key, project_id=None):
        self.langfuse_projects[(host, public_key, secret_key)] = project_id or "cl" + uuid.uuid4().hex[:22]
        return self.langfuse_projects[(host, public_key, secret_key)]

    def stored_keys(self, app_id, provider="langfuse"):
        """The decrypted config of an app, for tests to check what Dify would use."""
        record = self.configs.get((app_id, provider))
        return self._decrypt(provider, record.tracing_config) if record else None

    def forget_app(self, app_id):
        self.app_tracing.pop(app_id, None)
        for key in [k for k in self.configs if k[0] == app_id]:
            del self.configs[key]

    # -- encryption (opaque to clients) ------------------------------------------------------
    def _encrypt(self, token):
        cipher = base64.b64encode(os.urandom(48)).decode("ascii")
        self._vault[cipher] = token
        return cipher

    def _decrypt_token(self, cipher):
        if cipher not in self._vault:
            raise ValueError("Decryption failed")  # libs/rsa.py: a value that is not ours
        return self._vault[cipher]

    def _encrypt_config(self, provider, config, current=None):
        secret_keys, other_keys, _required, _host = PROVIDERS[provider]
        new = {}
        for key in secret_keys:
            if key in config:
                value = config[key]
                if isinstance(value, str) and "*" in value:
                    new[key] = (current or {}).get(key, value)
                else:
                    new[key] = self._encrypt(value) if isinstance(value, str) else value
        for key in other_keys:
            new[key] = config.get(key, "")
        return validate_config(provider, new)

    def _decrypt(self, provider, stored):
        secret_keys, other_keys, _required, _host = PROVIDERS[provider]
        new = dict((k, self._decrypt_token(stored[k])) for k in secret_keys if k in stored)
        for key in other_keys:
            new[key] = stored.get(key, "")
        return validate_config(provider, new)

    # -- Langfuse, as seen from the Dify API server ------------------------------------------
    def _project_key(self, config):
        self.langfuse_checks += 1
        key = (config.get("host"), config.get("public_key"), config.get("secret_key"))
        if key not in self.langfuse_projects:
            raise ValueError("status_code: 401, body: {'message': 'Invalid credentials. Confirm that you've "
                             "configured the correct host.'}")
        return self.langfuse_projects[key]

    def _api_check(self, config):
        try:
            self._project_key(config)
        except ValueError as exc:
            raise ValueError("LangFuse API check failed: %s" % exc) from None
        return True

    # -- GET/POST /apps/<id>/trace -----------------------------------------------------------
    def get_app_trace(self, app_id):
        text = self.app_tracing.get(app_id)
        if not text:
            return {"enabled": False, "tracing_provider": None}
        return json.loads(text)

    def set_app_trace(self, app_id, payload, app_exists=True):
        if not isinstance(payload, dict):
            raise HttpError(400, "invalid_param", "1 validation error for AppTracePayload\n  Input should be a "
                            "valid dictionary or instance of AppTracePayload [type=model_type]")
        enabled = payload.get("enabled")
        if "enabled" not in payload:
            raise HttpError(400, "invalid_param", "1 validation error for AppTracePayload\nenabled\n  Field required "
                            "[type=missing, input_value=%r, input_type=dict]" % payload)
        if not isinstance(enabled, bool):
            raise HttpError(400, "invalid_param", "1 validation error for AppTracePayload\nenabled\n  Input should be "
                            "a valid boolean [type=bool_type, input_value=%r]" % (enabled,))
        provider = payload.get("tracing_provider")
        if enabled and not provider:
            raise HttpError(400, "invalid_param", "1 validation error for AppTracePayload\ntracing_provider\n  Value "
                            "error, tracing_provider is required when enabled is True [type=value_error, "
                            "input_value=%r, input_type=%s]" % (provider, type(provider).__name__))
        if provider is not None and provider not in PROVIDERS:
            raise HttpError(400, "invalid_param", "Invalid tracing provider: %s" % provider)
        if not app_exists:
            raise HttpError(400, "invalid_param", "App not found")
        self.app_tracing[app_id] = json.dumps({"enabled": enabled, "tracing_provider": provider})
        return {"result": "success"}

    # -- /apps/<id>/trace-config -------------------------------------------------------------
    @staticmethod
    def _payload(body):
        """TraceConfigPayload.model_validate: both fields required, tracing_config a dict."""
        if not isinstance(body, dict) or not isinstance(body.get("tracing_provider"), str) \
                or not isinstance(body.get("tracing_config"), dict):
            raise HttpError(400, "invalid_param", "1 validation error for TraceConfigPayload\n  tracing_provider "
                            "(str) and tracing_config (dict) are required [type=missing]")
        return body["tracing_provider"], dict(body["tracing_config"])

    def get_config(self, app_id, provider):
        record = self.configs.get((app_id, provider))
        if record is None:
            return {"has_not_configured": True}
        try:
            decrypted = self._decrypt(provider, record.tracing_config)
            secret_keys, other_keys, _required, _host = PROVIDERS[provider]
            shown = dict((k, obfuscated_token(decrypted[k])) for k in secret_keys if k in decrypted)
            for key in other_keys:
                shown[key] = decrypted.get(key, "")
            shown = validate_config(provider, shown)
            try:
                shown["project_url"] = "%s/project/%s" % (decrypted["host"], self._project_key(decrypted))
            except ValueError:
                shown["project_url"] = "%s/" % decrypted["host"]
        except ValueError as exc:
            raise _bad_request(str(exc)) from None
        return record.to_dict(shown)

    def create_config(self, app_id, body):
        provider, config = self._payload(body)
        try:
            if provider not in PROVIDERS:
                raise _bad_request(_werkzeug_str("Invalid Credentials."))  # {"error": ...} -> TracingConfigCheckError
            checked = validate_config(provider, config)
            if config.get("host") == "":
                config["host"] = checked["host"]  # the other_keys left empty take the model's default
            self._api_check(checked)
            try:
                project_url = "%s/project/%s" % (config.get("host"), self._project_key(checked))
            except ValueError:
                project_url = None
            if (app_id, provider) in self.configs:
                raise _bad_request(_werkzeug_str("Trace config is exist."))
            stored = self._encrypt_config(provider, config)
            if project_url:
                stored["project_url"] = project_url
            self.configs[(app_id, provider)] = TraceConfigRecord(app_id, provider, stored)
        except ValueError as exc:
            raise _bad_request(str(exc)) from None
        return {"result": "success"}

    def update_config(self, app_id, body):
        provider, config = self._payload(body)
        try:
            if provider not in PROVIDERS:
                raise ValueError("Invalid tracing provider: %s" % provider)
            record = self.configs.get((app_id, provider))
            if record is None:
                raise _bad_request(_werkzeug_str("Trace config not exist."))
            stored = self._encrypt_config(provider, config, record.tracing_config)
            self._api_check(self._decrypt(provider, stored))
            record.tracing_config = stored
            record.updated_at = time.strftime("%Y-%m-%d %H:%M:%S")
        except ValueError as exc:
            raise _bad_request(str(exc)) from None
        return {"result": "success"}

    def delete_config(self, app_id, provider):
        if (app_id, provider) not in self.configs:
            raise _bad_request(_werkzeug_str("Trace config not exist."))
        del self.configs[(app_id, provider)]
