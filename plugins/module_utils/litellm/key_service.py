# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One virtual key, present or absent: read, compare, write, read back.

A no-op costs one request (the key is looked up by alias). After a write the
key is read again and the task fails if LiteLLM did not take a declared value;
after a create, that failure carries the new raw key (ReadBackError). A create
is sent once and looked up when it fails (create.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    KEY_FIELDS,
    KEY_OWNER,
    SECRET_FIELDS,
    compare_key,
    describe_owner,
    field_changes,
    key_value_differs,
    key_view,
    merge_metadata,
    owned_by,
    raw_key_lost,
    tag_of,
    view_after,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.create import create_key, recreate_key
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import ReadBackError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.desired import build_desired
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import masked_diff

KEY_OPTIONS = ("key_alias", "key", "duration", "metadata", *KEY_FIELDS)


def _verify(client, declared, alias):
    """Read the key back and fail if a declared value did not stick."""
    current = client.find_key(alias)
    if current is None:
        raise ApiError("LiteLLM reported key %r as written, but it cannot be found" % alias)
    missed = sorted(field_changes(declared, current, KEY_FIELDS))
    wanted_metadata = merge_metadata(current.get("metadata"), declared.get("metadata"))
    if wanted_metadata != (current.get("metadata") or {}):
        missed.append("metadata")
    if missed:
        raise ApiError("LiteLLM did not take the declared value of %s for key %r" % (", ".join(missed), alias))
    return current


def ensure_key(client, params, check_mode=False):
    """Make the key match ``params`` (the module's parameters); returns the module result."""
    declared = dict((name, params.get(name)) for name in KEY_OPTIONS)
    spec = build_desired(keys=[declared]).keys[declared["key_alias"]]
    alias = spec["key_alias"]
    scope, adopt = params.get("scope") or "default", bool(params.get("adopt"))
    current = client.find_key(alias)
    before = key_view(current)
    result = {"changed": False, "existing": before, "end_state": before, "key": None, "warnings": []}

    if params.get("state") == "absent":
        if current is None:
            return result
        if not owned_by(tag_of(current), scope, KEY_OWNER) and not adopt:
            raise ValidationError("key %r is not this task's (litellm_key, scope %r): it is %s, so it is left "
                                  "alone; set adopt=true to delete it anyway"
                                  % (alias, scope, describe_owner(tag_of(current))))
        if not check_mode:
            client.delete_keys([alias])
        result.update(changed=True, end_state=None, diff=masked_diff(before, {}, SECRET_FIELDS))
        return result

    op, body, _changes = compare_key(spec, current, scope, None, adopt, KEY_OWNER)
    if op == "conflict":
        raise ValidationError("key %r exists but is not this task's (litellm_key, scope %r): it is %s, so it is "
                              "left alone; set adopt=true to manage it"
                              % (alias, scope, describe_owner(tag_of(current))))
    if op != "create" and raw_key_lost(current) and owned_by(tag_of(current), scope, KEY_OWNER):
        if params.get("recreate_lost_key"):
            op, body, _changes = compare_key(spec, None, scope, None, adopt, KEY_OWNER)
            op = "recreate"
        else:
            result["lost_key"] = alias
            result["warnings"].append("key %r exists but its raw key was lost when it was created; set "
                                      "recreate_lost_key: true to delete it and create it again" % alias)
    if key_value_differs(spec, current):
        result["warnings"].append("key %r already exists with another value; LiteLLM keeps its current value "
                                  "(the declared key is only used when the key is created)" % alias)
    if op == "none":
        return result
    if op == "update":
        body["key"] = current["token"]
    predicted = view_after(before if op != "recreate" else None, body)
    result.update(changed=True, end_state=predicted, diff=masked_diff(before or {}, predicted, SECRET_FIELDS))
    if check_mode:
        return result
    if op in ("create", "recreate"):
        if op == "recreate":
            created, recreated = recreate_key(client, body)
        else:
            created, recreated = create_key(client, body, bool(params.get("recreate_lost_key")))
        result["key"] = (created or {}).get("key")
        if recreated:
            result["warnings"].append("key %r had been created but its raw key was lost; it was deleted and "
                                      "created again (recreate_lost_key)" % alias)
        try:
            after = key_view(_verify(client, spec, alias))
        except ApiError as exc:
            raise ReadBackError(alias, exc, result["key"]) from exc
    else:
        client.update_key(body)
        after = key_view(_verify(client, spec, alias))
    result.update(end_state=after, diff=masked_diff(before or {}, after, SECRET_FIELDS))
    return result
