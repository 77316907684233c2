# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Dify plugin package (``.difypkg``) read on the controller, the way the plugin daemon names it.

The daemon names an uploaded package ``<author>/<name>:<version>@<checksum>`` (its *plugin
unique identifier*), from github.com/langgenius/dify-plugin-daemon:

* ``pkg/plugin_packager/decoder/helper.go``, ``PluginDecoderHelper.UniqueIdentity``:
  ``manifest.Identity()`` (``author/name:version``) + ``@`` + ``Checksum()``;
* ``CalculateChecksum`` (``internal/core/plugin_packager/checksum/checksum.go`` in the revisions
  the code index holds): for every non-directory entry, ``sha256(path)`` followed by
  ``sha256(content)``, entries sorted by path, and the hex sha256 of that.

So the identifier of a package can be known before it is uploaded: check mode and the
idempotence test need no write. Signing itself is in bundle/difypkg.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os
import zipfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

# PLUGIN_MAX_PACKAGE_SIZE as Dify's docker/.env.example sets it (50 MiB); the console refuses a bigger
# upload (controllers/console/workspace/plugin.py, PluginUploadFromPkgApi). The module's max_package_size.
DEFAULT_MAX_PACKAGE_SIZE = 52428800


class PackageError(ValidationError):
    """A package file that cannot be installed as it is; raised before any request."""


def checksum(package):
    """The daemon's checksum of a package (CalculateChecksum)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile as exc:
        raise PackageError("not a Dify plugin package (zip): %s" % exc) from exc
    hashed = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        hashed[info.filename] = hashlib.sha256(archive.read(info.filename)).digest()
    data = b"".join(hashlib.sha256(name.encode("utf-8")).digest() + hashed[name] for name in sorted(hashed))
    return hashlib.sha256(data).hexdigest()


def split_identifier(identifier):
    """``author/name:version@checksum`` -> (plugin_id, version, checksum); missing parts are None."""
    identifier = identifier or ""
    head, _at, digest = identifier.partition("@")
    plugin_id, _colon, version = head.partition(":")
    return plugin_id, version or None, digest or None


class PluginPackage:
    """One package file: its identity, read once. ``data`` is kept for the upload."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        try:
            fields = difypkg.manifest_fields(data)
        except BundleError as exc:
            raise PackageError("%s: %s" % (path, exc)) from exc
        self.author = fields["author"]
        self.name = fields["name"]
        self.version = fields["version"]
        self.checksum = checksum(data)
        self.signed = difypkg.is_signed(data)
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        # With PIP_MIRROR_URL set the daemon installs requirements.txt; without one it runs `uv sync`,
        # --frozen when a uv.lock is there, and a lock names the public index's URLs
        # (internal/core/local_runtime/setup_python_environment.go, detectDependencyFileType).
        self.lock_only = "requirements.txt" not in names and "uv.lock" in names

    @classmethod
    def read(cls, path, max_size=DEFAULT_MAX_PACKAGE_SIZE):
        if not os.path.isfile(path):
            raise PackageError("%s: no such plugin package file" % path)
        size = os.path.getsize(path)
        if max_size and size > max_size:
            raise PackageError("%s is %d bytes; Dify refuses plugin packages over %d bytes (PLUGIN_MAX_PACKAGE_SIZE)"
                               % (path, size, max_size))
        with open(path, "rb") as handle:
            return cls(path, handle.read())

    @property
    def plugin_id(self):
        return "%s/%s" % (self.author, self.name)

    @property
    def unique_identifier(self):
        return "%s:%s@%s" % (self.plugin_id, self.version, self.checksum)

    def summary(self):
        return {"plugin_id": self.plugin_id, "version": self.version, "unique_identifier": self.unique_identifier,
                "path": self.path, "signed": self.signed}

    def verify(self, public_keys_pem):
        """Raise PackageError unless one of the keys signed the package (the daemon's algorithm)."""
        try:
            difypkg.verify(self.data, public_keys_pem)
        except BundleError as exc:
            raise PackageError("%s: %s" % (self.path, exc)) from exc
