# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mirror: release manifest -> disk -> registry, or registry -> registry.

Three runs share one shape, one file per step: plan (``plan.py``: what each
image needs, from its manifests), check (``check.py``: space, credentials,
projects, signatures) before anything is written, copy in parallel
(``copy_to_disk.py``, ``copy_to_registry.py``, over ``schedule.py``), verify
every image's digest where it landed (``verify.py``), and record exactly what
was and was not copied (``report.py``). ``model.py`` holds the settings and
images of a run, ``control.py`` its lock, stop and pool.

* :func:`mirror_to_disk` (``to_disk.py``): ``crane pull`` each image (the whole index, or only
  the chosen platforms) into the store (``ocilayout``), skipping blobs already
  there; write the checksummed inventory; split the store into archive parts.
* :func:`disk_to_mirror` (``from_disk.py``): verify the parts and extract them, verify the
  inventory and every blob; ``skopeo copy`` each image from the store to the
  registry, preserving digests; images already there are skipped.
* :func:`mirror_to_mirror` (``direct.py``): ``skopeo copy`` from the source registries to the
  mirror registry directly.

This file is the entry point: :func:`run` calls the mode's.

Resuming is the same as running again: blobs are content-addressed, complete
ones are never fetched twice, and an image counts as done only after its digest
was checked at the destination.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.direct import mirror_to_mirror
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.from_disk import disk_to_mirror
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MODES, MirrorError, Settings, parse_size
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.to_disk import mirror_to_disk

__all__ = ["MODES", "MirrorError", "Settings", "disk_to_mirror", "mirror_to_disk", "mirror_to_mirror", "parse_size", "run"]


def run(settings):
    """Run the mirroring mode ``settings.mode``; returns its report, or raises MirrorError."""
    return {"mirror_to_disk": mirror_to_disk, "disk_to_mirror": disk_to_mirror,
            "mirror_to_mirror": mirror_to_mirror}[settings.mode](settings)
