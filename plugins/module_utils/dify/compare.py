# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare two normalised DSLs, and mask secret values in what a diff shows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import MASK, MASK_CHANGED

MAX_DIFFERENCES = 50


def _same_scalar(a, b):
    # True == 1 in Python, but a boolean turned into a number is an edit.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _walk(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            sub = "%s.%s" % (path, key) if path else str(key)
            if key not in a:
                out.append(sub + " (added)")
            elif key not in b:
                out.append(sub + " (removed)")
            else:
                _walk(a[key], b[key], sub, out)
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(min(len(a), len(b))):
            _walk(a[index], b[index], "%s[%d]" % (path, index), out)
        if len(a) != len(b):
            out.append("%s (length %d -> %d)" % (path, len(a), len(b)))
    elif not _same_scalar(a, b):
        out.append(path or "(document)")


def differences(before, after):
    """Paths at which ``after`` differs from ``before``, in a stable order; [] when equal."""
    out = []
    _walk(before, after, "", out)
    return out


def equal(before, after):
    return not differences(before, after)


def _secret_vars(doc):
    workflow = doc.get("workflow") if isinstance(doc, dict) else None
    found = {}
    for var in (workflow or {}).get("environment_variables") or []:
        if isinstance(var, dict) and var.get("value_type") == "secret":
            found[var.get("name")] = var
    return found


def masked_pair(before, after):
    """Copies of ``before`` and ``after`` whose secret variable values are masked.

    A secret whose value differs shows as changed on the after side, never
    with its value, the way redact.masked_diff does for flat objects.
    """
    old_values = dict((n, v.get("value")) for n, v in _secret_vars(before or {}).items())
    new_values = dict((n, v.get("value")) for n, v in _secret_vars(after or {}).items())
    before = copy.deepcopy(before)
    after = copy.deepcopy(after)
    for var in _secret_vars(before or {}).values():
        var["value"] = MASK
    for name, var in _secret_vars(after or {}).items():
        changed = name not in old_values or old_values[name] != new_values[name]
        var["value"] = MASK_CHANGED if changed else MASK
    return before, after
