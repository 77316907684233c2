# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the collection's controller-side plugins keep what they may reuse from one run to the next."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def controller_cache_dir(*parts):
    """``$XDG_CACHE_HOME/airgap.dify_platform/<parts>``, or under ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "airgap.dify_platform", *parts)
