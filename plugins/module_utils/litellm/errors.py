# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The typed error of a sync that stopped part-way."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ApiError

LISTED = 20


def _listing(labels):
    shown = ", ".join(labels[:LISTED])
    if len(labels) > LISTED:
        shown += ", ... (%d more)" % (len(labels) - LISTED)
    return shown or "none"


class SyncError(ApiError):
    """A write failed: says what was done, what failed and what was not attempted.

    ``done``, ``failed`` and ``remaining`` are action labels such as ``create key alice``.
    ``created_keys`` maps the aliases of keys created before the failure to their raw keys,
    so that a caller can still store them.
    """

    def __init__(self, cause, done, failed, remaining, created_keys=None):
        self.cause = cause
        self.done = list(done)
        self.failed = failed
        self.remaining = list(remaining)
        self.created_keys = dict(created_keys or {})
        deletes_done = sum(1 for label in self.done if label.startswith("delete "))
        message = (
            "LiteLLM sync stopped at '%s': %s. Done (%d): %s. Not done (%d, including the failed one): %s. "
            "%s Run the task again to finish; it only does what is still missing."
            % (failed, cause, len(self.done), _listing(self.done), len(self.remaining) + 1,
               _listing([failed, *self.remaining]),
               "Keys deleted before the failure: %d." % deletes_done if deletes_done else "Nothing was deleted.")
        )
        super(SyncError, self).__init__(message)
