# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Creates that are sent once, and looked up when they fail (issue 17, item 6).

A create whose answer is lost may still have been done. Sending it again
is not safe: a second ``/key/generate`` is refused because the alias exists,
and the raw key, which LiteLLM shows only in the answer to the create, is
gone for good. So every create is sent exactly once (the client gives it no
retry), and when it fails the item is looked up:

- it is not there: the create was not done; the error stands;
- a team or a user is there: it was created (or made meanwhile), which is what
  was asked;
- a key is there, tagged as this very create tags it: LiteLLM made it and its
  raw key is lost. Its tag records that (``raw_key_lost``), so that later runs
  still name it, and :class:`LostKeyError` says so, naming the alias and the fix,
  unless ``recreate_lost`` asks to delete the key and create it once more.
  (``POST /key/regenerate`` would keep the key's id, but LiteLLM 1.104.2 and 1.104.5 grant
  it to Enterprise licences only: proxy/management_endpoints/key_management_endpoints.py
  ``regenerate_key_fn``, "Regenerating Virtual Keys is an Enterprise feature");
- a key is there with another tag: someone else made it meanwhile; a conflict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError, AuthenticationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.compare import (
    RAW_KEY_LOST,
    TAG,
    describe_owner,
    merge_metadata,
    tag_of,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import CreateConflictError, LostKeyError


def create_once(create, find):
    """Send ``create()`` (a team or a user) once; after a failure, ``find()`` decides. Returns the
    create's answer, or None when the item turned out to exist (created although the answer was lost)."""
    try:
        return create()
    except AuthenticationError:
        raise
    except ApiError as exc:
        try:
            found = find()
        except ApiError:
            raise exc from None  # the lookup failed too: report the create's own error
        if found is None:
            raise
        return None


def create_key(client, body, recreate_lost=False, option="recreate_lost_key"):
    """Create a key once; returns LiteLLM's answer (``key`` is the raw key) and whether it was re-created."""
    alias = body["key_alias"]
    try:
        return client.generate_key(body), False
    except AuthenticationError:
        raise
    except ApiError as exc:
        try:
            found = client.find_key(alias)
        except ApiError:
            raise exc from None
        if found is None:
            raise
        wanted = (body.get("metadata") or {}).get(TAG)
        if tag_of(found) != wanted:
            raise CreateConflictError(
                "creating key %r failed (%s) and a key with that alias now exists, %s: someone else made it "
                "meanwhile. It is left alone." % (alias, exc, describe_owner(tag_of(found)))) from exc
        if not recreate_lost:
            _mark_lost(client, found)
            raise LostKeyError(alias, exc, option) from exc
    return recreate_key(client, body)


def _mark_lost(client, found):
    """Record in the key's tag that its raw key was lost; best effort (the error says it anyway)."""
    tag = dict(tag_of(found) or {}, **{RAW_KEY_LOST: True})
    with contextlib.suppress(ApiError):
        client.update_key({"key": found["token"], "metadata": merge_metadata(found.get("metadata"), None, tag)})


def recreate_key(client, body):
    """Delete the key with ``body``'s alias and create it again, once; ``(answer, True)``."""
    alias = body["key_alias"]
    client.delete_keys([alias])
    try:
        return client.generate_key(body), True
    except AuthenticationError:
        raise
    except ApiError as exc:
        raise ApiError("key %r was deleted to be created again (its raw key had been lost), but the new create "
                       "failed too: %s. Run the task again to create it." % (alias, exc)) from exc
