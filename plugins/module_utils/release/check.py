# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check, before anything is written: free space, signatures, and the destination's
credentials and projects. Each refusal stops the run with nothing copied."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.control import parallel
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.model import MirrorError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.ocilayout import blob_path, sha256_file
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.progress import human
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError, classify, last_lines

ZERO_DIGEST = "sha256:" + "0" * 64
PROBE_REPOSITORY = "airgap-mirror-probe"


def check_space(path, needed, margin):
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize
    if needed + margin > free:
        raise MirrorError("not enough space in %s: the copy needs %s (plus a %s margin) and only %s is free; "
                          "nothing was copied" % (path, human(needed), human(margin), human(free)))
    return free


def verify_signatures(items, settings, progress, stopper, crane=None, skopeo=None, store=None):
    """Check every image's signature before anything is copied; any refusal stops the run.

    With a cosign public key, ``cosign verify --key`` checks the image's sigstore
    signature (the ``sha256-<digest>.sig`` attachment). With a containers
    signature policy, skopeo's policy engine checks it: an index by copying the
    index document alone, a single image by copying it into a scratch directory
    whose blobs are then moved into the store, so nothing is downloaded twice.
    """
    progress.phase("verifying signatures")
    scratch_root = tempfile.mkdtemp(prefix=".signature-check-", dir=store) if store else tempfile.mkdtemp()

    def with_cosign(item):
        crane.verify_signature(item.source, settings.cosign_key, settings.cosign, settings.cosign_ignore_tlog,
                               timeout=settings.copy_timeout)

    def with_policy(item):
        scratch = os.path.join(scratch_root, item.name)
        multi = "index-only" if item.closure.children else "all"
        rc, out, err = skopeo.run(skopeo.copy_command("docker://" + item.source, "dir:" + scratch, multi_arch=multi),
                                  timeout=settings.copy_timeout, on_start=stopper.track)
        if rc != 0:
            kind, why = classify(err or out)
            if kind in ("signature", "other"):
                raise CopyError("signature_policy", "the signature policy refused it: %s" % last_lines(err or out, 3), err)
            raise CopyError(kind, "%s (%s)" % (why, last_lines(err or out, 3)), err)
        if store:
            for leaf in os.listdir(scratch):
                if len(leaf) == 64 and all(c in "0123456789abcdef" for c in leaf):
                    target = blob_path(store, "sha256:" + leaf)
                    if not os.path.exists(target) and sha256_file(os.path.join(scratch, leaf)) == "sha256:" + leaf:
                        os.replace(os.path.join(scratch, leaf), target)

    def check(item):
        try:
            (with_cosign if settings.cosign_key else with_policy)(item)
        except CopyError as exc:
            raise MirrorError("image %s (%s): the signature check failed: %s; nothing was copied"
                              % (item.name, item.source, exc)) from exc
        item.verified_signature = True
        return item

    try:
        if store:
            os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
        parallel(check, items, settings.concurrency)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)


def preflight(skopeo, items, settings, progress):
    """Check the credentials and that every project exists before anything is pushed."""
    progress.phase("checking the destination")
    host = settings.registry
    credentials = settings.dest.credentials.get(host)
    if credentials:
        # AnsibleModule.run_command has no timeout; a hung registry must not hang the run.
        # pylint: disable-next=ansible-bad-function
        proc = subprocess.run(  # noqa: S603 - argv of the configured skopeo
            skopeo._global()[:1] + ["login", "--authfile", os.path.join(skopeo.private, "login-check.json")]
            + (["--cert-dir", skopeo._files["dest-certs"]] if "dest-certs" in skopeo._files else [])
            + ["--tls-verify=%s" % ("true" if settings.dest.tls_verify else "false"),
               "-u", credentials[0], "--password-stdin", host],
            input=credentials[1].encode("utf-8"), capture_output=True, timeout=120, check=False)
        if proc.returncode != 0:
            text = proc.stderr.decode("utf-8", "replace")
            raise MirrorError("the registry %s refused the credentials of %s: %s; nothing was pushed"
                              % (host, credentials[0], last_lines(text, 2)))
    projects = sorted(set((i.entry.get("project") or settings.project) for i in items))
    missing = []
    for project in projects:
        probe = "docker://%s/%s/%s@%s" % (host, project, PROBE_REPOSITORY, ZERO_DIGEST)
        try:
            skopeo.inspect_raw(probe, side="dest")
        except CopyError as exc:
            if exc.kind == "project":
                if settings.check_mode:  # the role would create it before a real run
                    missing.append(project)
                    continue
                raise MirrorError("project %s does not exist on %s (create it first, for example with "
                                  "airgap.dify_platform.harbor_project); nothing was pushed" % (project, host)) from exc
            if exc.kind in ("auth", "tls", "connection"):
                raise MirrorError("cannot push into %s/%s: %s; nothing was pushed" % (host, project, exc)) from exc
    return missing
