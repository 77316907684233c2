# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one helper that masks secrets in before/after diffs and returned objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

MASK = "********"
MASK_CHANGED = "******** (changed)"


def _walk(obj, keys, replace):
    if isinstance(obj, dict):
        for key in list(obj):
            if key in keys and obj[key] is not None:
                obj[key] = replace(key)
            else:
                _walk(obj[key], keys, replace)
    elif isinstance(obj, list):
        for item in obj:
            _walk(item, keys, replace)


def masked(obj, keys):
    """Return a deep copy of ``obj`` whose values under any of ``keys`` are masked."""
    result = copy.deepcopy(obj)
    _walk(result, frozenset(keys), lambda key: MASK)
    return result


def masked_diff(before, after, keys):
    """Mask both sides of a diff; a secret that changed shows as changed, never as its value."""
    keys = frozenset(keys)
    changed = set()
    if isinstance(before, dict) and isinstance(after, dict):
        changed = set(k for k in keys if before.get(k) != after.get(k))
    masked_before = copy.deepcopy(before)
    masked_after = copy.deepcopy(after)
    _walk(masked_before, keys, lambda key: MASK)
    _walk(masked_after, keys, lambda key: MASK_CHANGED if key in changed else MASK)
    return {"before": masked_before, "after": masked_after}
