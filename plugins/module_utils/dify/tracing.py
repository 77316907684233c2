# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-app tracing to Langfuse: validate, compare and mask. Pure functions, no requests.

What Dify gives back decides how to compare (langgenius/dify, api/):

* ``GET /apps/<id>/trace`` is ``{"enabled", "tracing_provider"}`` (core/ops/ops_trace_manager.py
  ``get_app_tracing_config``).
* ``GET /apps/<id>/trace-config`` returns the Langfuse config with *both* keys obfuscated by
  core/helper/encrypter.py ``obfuscated_token`` (first 6 characters, 12 ``*``, last 2; 20 ``*``
  for 8 characters or fewer), the host in clear, and a ``project_url`` Dify looks up.

So the keys cannot be read back. A key matches when Dify's obfuscated form of the declared key
equals the obfuscated form Dify returns. That misses a new key that keeps the first 6 and the
last 2 characters of the old one. Langfuse keys all begin ``pk-lf-`` / ``sk-lf-``, so a rotated
key pair goes unnoticed only when both keys end in the same two characters as before (about one
rotation in 65,536 for hexadecimal endings); ``update_keys: always`` sends the keys on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import MASK, MASK_CHANGED

PROVIDER = "langfuse"
KEYS = ("public_key", "secret_key")
UPDATE_KEYS = ("on_change", "always")


def obfuscated_token(token):
    """Dify's obfuscated form of a key, as its GET answers show it."""
    if not token:
        return token
    if len(token) <= 8:
        return "*" * 20
    return token[:6] + "*" * 12 + token[-2:]


def normalize_host(host):
    """The host as Dify should store it: no trailing slash (Dify appends ``/project/<id>``)."""
    return (host or "").strip().rstrip("/")


def validate_langfuse(config, option="langfuse"):
    """The declared Langfuse config, checked before any request; errors name the field."""
    if not isinstance(config, dict):
        raise ValidationError("%s must be a dictionary with public_key, secret_key and host" % option)
    out = {}
    for key in KEYS:
        value = config.get(key)
        if not isinstance(value, str) or not value:
            raise ValidationError("%s.%s is required and must be a non-empty string" % (option, key))
        if value != value.strip():
            # The value is never shown: a trailing newline from `echo ... | base64` is the usual cause.
            raise ValidationError("%s.%s has leading or trailing whitespace (a newline from the Secret it was "
                                  "read from?); Langfuse would refuse it" % (option, key))
        out[key] = value
    host = normalize_host(config.get("host"))
    scheme, sep, rest = host.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
        raise ValidationError("%s.host must be an http:// or https:// URL of Langfuse as the Dify API server "
                              "reaches it, got %r" % (option, config.get("host")))
    out["host"] = host
    return out


def current_state(trace, config):
    """Dify's two answers as one comparable state."""
    trace = trace or {}
    current = {"enabled": trace.get("enabled") is True, "tracing_provider": trace.get("tracing_provider"),
               PROVIDER: None}
    if config:
        stored = config.get("tracing_config") or {}
        current[PROVIDER] = {"host": stored.get("host"), "public_key": stored.get("public_key"),
                             "secret_key": stored.get("secret_key")}
    return current


def plan_present(current, desired, enabled, update_keys="on_change"):
    """What makes ``current`` (see current_state) match ``desired`` (see validate_langfuse).

    Returns (config_op, switch, differences): config_op is None, "create" or "update";
    switch is None or the {"enabled", "tracing_provider"} to send.
    """
    differences = []
    config_op = None
    have = current[PROVIDER]
    if have is None:
        config_op = "create"
        differences.append(PROVIDER)
    else:
        if have.get("host") != desired["host"]:
            differences.append("%s.host" % PROVIDER)
        for key in KEYS:
            if have.get(key) != obfuscated_token(desired[key]):
                differences.append("%s.%s" % (PROVIDER, key))
        if differences or update_keys == "always":
            config_op = "update"
    switch = None
    if enabled and not (current["enabled"] and current["tracing_provider"] == PROVIDER):
        switch = {"enabled": True, "tracing_provider": PROVIDER}
    elif not enabled and current["enabled"]:
        switch = {"enabled": False, "tracing_provider": current["tracing_provider"]}
    if switch:
        differences.extend(key for key in ("enabled", "tracing_provider") if current[key] != switch[key])
    return config_op, switch, differences


def plan_absent(current):
    """Tracing off when it sends to Langfuse, and the Langfuse config deleted."""
    differences = []
    switch = None
    if current["enabled"] and current["tracing_provider"] == PROVIDER:
        switch = {"enabled": False, "tracing_provider": PROVIDER}
        differences.append("enabled")
    config_op = None
    if current[PROVIDER] is not None:
        config_op = "delete"
        differences.append(PROVIDER)
    return config_op, switch, differences


def _shown(config, changed=()):
    if config is None:
        return None
    shown = {"host": config.get("host")}
    for key in KEYS:
        shown[key] = MASK_CHANGED if key in changed else MASK
    return shown


def diff_pair(current, config_op, switch, differences, desired=None):
    """Before and after as Dify would hold them, every key masked; a changed key says so."""
    before = {"enabled": current["enabled"], "tracing_provider": current["tracing_provider"],
              PROVIDER: _shown(current[PROVIDER])}
    after = dict(before)
    if switch:
        after.update(switch)
    if config_op == "delete":
        after[PROVIDER] = None
    elif config_op is not None:
        changed = [k for k in KEYS if config_op == "create" or "%s.%s" % (PROVIDER, k) in differences]
        after[PROVIDER] = _shown(desired, changed)
    return before, after


def scrub(text, secrets):
    """``text`` without any of the ``secrets`` (Dify may echo a refused config in its message)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text
