# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A JSON file that only its owner can read: written atomically, read forgivingly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile


def write_private_json(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same directory (mode
    0600, created in a directory of mode 0700 when missing), then rename it into place:
    a reader sees the old file or the new one, never half of one."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + "-")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(data, out, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def read_json_mapping(path):
    """The mapping stored at ``path``; empty when the file is missing, unreadable, not
    JSON or not a mapping (what such a file held can only be rebuilt)."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
