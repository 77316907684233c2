# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING, or gpl-3.0.txt at www.gnu.org/licenses). No URL with a scheme
# here: the connectivity contract reads URLs in mounted ConfigMaps as connections (tests/connectivity/derive.py).
"""Model access per person: a LiteLLM pre-call hook that refuses a model the person's groups do not grant.

Loaded by the proxy from ``litellm_settings.callbacks: [model_access.hook]``: LiteLLM imports
``model_access.py`` from the directory of its config file and takes its ``hook`` attribute
(litellm/proxy/types_utils/utils.py get_instance_fn, called by initialize_callbacks_on_proxy in
litellm/proxy/common_utils/callback_utils.py, BerriAI/litellm v1.104.2). Open-source LiteLLM:
a CustomLogger's async_pre_call_hook runs before every model call (litellm/proxy/utils.py
ProxyLogging.pre_call_hook), and an exception it raises is the caller's answer.

Who the person is and what they may call are LiteLLM's own data, read during authentication:
the call's end user (the customer named by Open WebUI's X-OpenWebUI-User-Email, the litellm
role's user_header_mappings, or the body's ``user``), and that customer's
``object_permission.models``, which playbooks/portal_users.yml sets to the models of the
person's tier (litellm/proxy/auth/user_api_key_auth.py copies it onto
UserAPIKeyAuth.end_user_object_permission; LiteLLM itself enforces it nowhere on a model call).

The rule (``refusal``):

- the end user carries a models permission (a list that is not empty): the requested model
  must be in it, or the list holds ``*`` (or LiteLLM's ``all-proxy-models``): every model;
- no models permission (no customer row yet, a customer without a permission, or an empty
  list: LiteLLM's own default for a permission made for something else, and what
  portal_users.yml gives a person who left every tier): refused on a key whose metadata marks
  it per person (workload_keys.py, ``per_person``: Open WebUI's), whose every call must name a
  person with a grant; allowed on every other key (Dify's, a person's own key, whose own
  ``models`` LiteLLM already enforces).

The refusal is HTTP 403 with a message naming the model. Nothing here opens a connection.
"""

from __future__ import absolute_import, division, print_function

try:
    from fastapi import HTTPException
    from litellm.integrations.custom_logger import CustomLogger
except ImportError:  # the unit tests load the rule alone, without LiteLLM
    HTTPException = None
    CustomLogger = object

TAG = "airgap.dify_platform"
ALL_MODELS = ("*", "all-proxy-models")


def granted(model, models):
    """Whether a models list grants ``model``: by its exact name, or by ``*`` (every model)."""
    return any(name in ALL_MODELS or name == model for name in models)


def refusal(model, end_user, models, per_person):
    """Why the call is refused (a message for the caller), or None when it may go on.

    model: the model the call asks for; end_user: the person the call names, or None;
    models: the end user's models permission, or None (or empty) when they have none;
    per_person: whether the key's calls must name a person with a grant.
    """
    if not model:
        return None
    if models:
        if granted(model, models):
            return None
        return ("Model access denied: %s may not use the model %s, which none of their groups grants. "
                "Ask for a group that grants it, or pick another model." % (end_user or "this person", model))
    if not per_person:
        return None
    if not end_user:
        return ("Model access denied: this key's calls must name the person they are made for, and this call "
                "names nobody, so the model %s is refused." % model)
    return ("Model access denied: %s has no model access, so the model %s is refused. Access follows the "
            "person's groups: someone new to a group gets it at the next run of the platform's portal_users "
            "playbook." % (end_user, model))


def permission_models(permission):
    """The ``models`` of an end user's object permission (an object or a dict), or None."""
    if permission is None:
        return None
    models = permission.get("models") if isinstance(permission, dict) else getattr(permission, "models", None)
    return None if models is None else list(models)


def end_user_of(user_api_key_dict, data):
    """The person the call names, as LiteLLM's authentication reads it.

    LiteLLM puts the end user on the call's auth only when a customer row was found
    (user_api_key_auth.py updates the auth with the end user's params only then), so for a
    person without one the hook reads the request the same way authentication did:
    get_end_user_id_from_request_body (litellm/proxy/auth/auth_utils.py: the standard customer
    headers, then general_settings.user_header_mappings, then the body's ``user``), with the
    request's headers as LiteLLM keeps them in data["proxy_server_request"].
    """
    found = getattr(user_api_key_dict, "end_user_id", None)
    if found:
        return found
    try:
        from litellm.proxy.auth.auth_utils import get_end_user_id_from_request_body
    except ImportError:
        return None
    request = data.get("proxy_server_request") if isinstance(data.get("proxy_server_request"), dict) else {}
    headers = request.get("headers") or {}
    try:
        return get_end_user_id_from_request_body(data, dict(headers)) or None
    except (TypeError, ValueError, KeyError, AttributeError):  # unreadable: it names nobody (refused per person)
        return None


def per_person_key(metadata):
    mine = (metadata or {}).get(TAG) if isinstance(metadata, dict) else None
    return isinstance(mine, dict) and mine.get("per_person") is True


class ModelAccess(CustomLogger):
    """The pre-call hook; ``refusal`` decides."""

    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        model = data.get("model") if isinstance(data, dict) else None
        if not isinstance(model, str):
            return data
        why = refusal(model, end_user_of(user_api_key_dict, data),
                      permission_models(getattr(user_api_key_dict, "end_user_object_permission", None)),
                      per_person_key(getattr(user_api_key_dict, "metadata", None)))
        if why is not None:
            raise HTTPException(status_code=403, detail={"error": why})
        return data


hook = ModelAccess() if CustomLogger is not object else None
