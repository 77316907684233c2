# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The typed errors of the LiteLLM package: a sync that stopped part-way, a create whose answer was lost."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError

LISTED = 20


class LostKeyError(ApiError):
    """LiteLLM created the key but its answer, the only copy of the raw key, was lost."""

    def __init__(self, alias, cause, option):
        self.alias = alias
        self.cause = cause
        super(LostKeyError, self).__init__(
            "LiteLLM created key %r but the answer to the create was lost (%s), and with it the raw key, which "
            "LiteLLM shows only once. The key exists and works, but no run can return its value. To get a key "
            "you can hand out: set %s: true (deletes key %r and creates it again, returning the new raw key), "
            "or regenerate it with POST /key/regenerate (LiteLLM Enterprise), or delete it (POST /key/delete) and run "
            "the task again."
            % (alias, cause, option, alias))


class CreateConflictError(ApiError):
    """The create failed and the item now exists, made by someone else."""


class ReadBackError(ApiError):
    """A key was created, but reading it back failed: the error carries the raw key so that it is not lost."""

    def __init__(self, alias, cause, key):
        self.alias = alias
        self.cause = cause
        self.key = key
        super(ReadBackError, self).__init__(
            "key %r was created, but reading it back failed: %s. Its raw key is returned in this result's 'key' "
            "(LiteLLM shows it only once): store it before anything else." % (alias, cause))


def _listing(labels):
    shown = ", ".join(labels[:LISTED])
    if len(labels) > LISTED:
        shown += ", ... (%d more)" % (len(labels) - LISTED)
    return shown or "none"


class SyncError(ApiError):
    """A write failed: says what was done, what failed and what was not attempted.

    ``done``, ``failed`` and ``remaining`` are action labels such as ``create key alice``.
    ``created_keys`` maps the aliases of keys created before the failure to their raw keys,
    so that a caller can still store them. ``lost_keys`` names a key that LiteLLM created
    although the answer (and its raw key) was lost. ``changed`` is true when anything was
    written: the task must not report ``changed: false`` after it has written.
    """

    def __init__(self, cause, done, failed, remaining, created_keys=None):
        self.cause = cause
        self.done = list(done)
        self.failed = failed
        self.remaining = list(remaining)
        self.created_keys = dict(created_keys or {})
        self.lost_keys = [cause.alias] if isinstance(cause, LostKeyError) else []
        self.changed = bool(self.done or self.lost_keys)
        deletes_done = sum(1 for label in self.done if label.startswith("delete "))
        message = (
            "LiteLLM sync stopped at '%s': %s. Done (%d): %s. Not done (%d, including the failed one): %s. "
            "%s Run the task again to finish; it only does what is still missing."
            % (failed, cause, len(self.done), _listing(self.done), len(self.remaining) + 1,
               _listing([failed, *self.remaining]),
               "Keys deleted before the failure: %d." % deletes_done if deletes_done else "Nothing was deleted.")
        )
        super(SyncError, self).__init__(message)
