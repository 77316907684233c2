# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mirror_to_mirror: ``skopeo copy`` every image of the release manifest from its source
registry to the mirror registry directly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.check import verify_signatures
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import RunLock, Stopper
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.copy_to_registry import registry_run
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.crane import Crane
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import items_of
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.plan import Fetcher, plan_items, resolve_tags
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import Progress
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Skopeo
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.sources import SourceManifests


def mirror_to_mirror(settings):
    """Copy every image of the manifest from its source registry to the mirror registry directly."""
    if not settings.registry or not settings.project:
        raise ValidationError("mirror_to_mirror needs the mirror registry and project")
    started = time.time()
    release = settings.manifest.get("release")
    with RunLock(settings.directory, settings.check_mode), Stopper() as stopper:
        progress = Progress(None if settings.check_mode else settings.directory, settings.mode, settings.sink,
                            token=settings.progress_token)
        items = items_of(settings)
        with Skopeo(src=settings.src, dest=settings.dest, binary=settings.skopeo, policy_path=settings.policy_path,
                    registries_d=settings.registries_d) as skopeo:
            def remote(ref):
                return skopeo.inspect_raw("docker://" + ref)

            resolve_tags(items, remote, settings)
            plan_items(items, Fetcher(SourceManifests(settings.src, remote)), settings, progress)
            if settings.policy_path or settings.cosign_key:
                with Crane(settings.src, settings.crane) as crane:
                    verify_signatures(items, settings, progress, stopper, crane=crane, skopeo=skopeo)

            def source_of(item, child):
                return "docker://%s@%s" % (item.entry["repository"], (child or {}).get("digest") or item.digest)

            return registry_run(settings, items, release, started, stopper, progress, skopeo, source_of, {})
