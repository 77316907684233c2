# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signature checks of the source images: a cosign public key, or a containers-policy.json for skopeo.

* A cosign public key (PEM) is checked with ``cosign verify --key``: every
  source image must carry a sigstore signature made with that key (the
  ``sha256-<digest>.sig`` attachment ``cosign sign --key`` writes). Debian's
  skopeo 1.9 is built without sigstore ("Debian-local change: sigstore
  disabled"), so skopeo cannot check these itself.
* A containers-policy.json (``signedBy`` GPG signatures, or anything the local
  skopeo supports) is handed to skopeo as it is, with the system's registries.d.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError


def check_public_key(public_key):
    """Refuse early a key file that is missing or is not a PEM public key."""
    try:
        with open(public_key) as handle:
            text = handle.read()
    except OSError as exc:
        raise ValidationError("cannot read the cosign public key %s: %s" % (public_key, exc)) from exc
    if "-----BEGIN PUBLIC KEY-----" not in text:
        raise ValidationError("%s is not a PEM public key (cosign.pub)" % public_key)
    return os.path.abspath(public_key)


def write_policy(workdir, policy):  # pylint: disable=unused-argument
    """(policy path, registries.d) for skopeo; the policy is used as it is."""
    if not os.path.isfile(policy):
        raise ValidationError("signature policy %s does not exist" % policy)
    return os.path.abspath(policy), None
