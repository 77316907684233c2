# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dify plugin packages (``.difypkg``): pack, sign with the operator's key, verify, as the daemon does.

Read from github.com/langgenius/dify-plugin-daemon (the revisions the code index holds;
the mapping of those revisions to the 0.6.3 tag could not be checked):

* the package is a zip of the plugin's files sorted by path
  (``pkg/plugin_packager/packager/packager.go``, ``collectFiles`` and ``writePackagedFile``);
* signing (``pkg/plugin_packager/signer/withkey/sign_with_key.go``) rewrites every file in
  zip order, adds ``.verification.dify.json`` (``{"authorized_category": ...}``) last, and
  signs ``sha256(file_1) || ... || sha256(.verification.dify.json) || str(unix time)`` with
  RSA PKCS#1 v1.5 over SHA-256 (``pkg/utils/encryption/rsa.go``, ``RSASign``); the zip comment
  holds ``{"signature": base64, "time": unix time}``;
* verification (``pkg/plugin_packager/decoder/verifier.go``, ``VerifyPluginWithPublicKeys``)
  hashes every non-directory entry in zip order, appends the time of the comment, and accepts
  the official key or any key of ``THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS`` when
  ``THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED`` is true; keys are PEM ``RSA PUBLIC KEY``
  (PKCS#1, ``LoadPublicKey``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import io
import json
import os
import time
import zipfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - the controller's ansible-core brings cryptography
    HAS_CRYPTOGRAPHY = False

VERIFICATION_FILE = ".verification.dify.json"
SKIP_DIRS = (".git", "__pycache__", ".venv", ".uv-cache")


def _need_crypto():
    if not HAS_CRYPTOGRAPHY:
        raise BundleError("signing and verifying Dify plugins needs the Python 'cryptography' package")


def pack(directory):
    """The plugin directory as a .difypkg (zip, files sorted by path, deflated)."""
    files = []
    for top, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in names:
            if name.endswith(".pyc"):
                continue
            path = os.path.join(top, name)
            files.append(os.path.relpath(path, directory).replace(os.sep, "/"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(files):
            with open(os.path.join(directory, rel), "rb") as handle:
                archive.writestr(rel, handle.read())
    return buffer.getvalue()


def _entries(package):
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile as exc:
        raise BundleError("not a Dify plugin package (zip): %s" % exc) from exc
    return archive


def _signed_data(archive, created):
    data = io.BytesIO()
    for info in archive.infolist():
        if info.is_dir():
            continue
        data.write(hashlib.sha256(archive.read(info.filename)).digest())
    data.write(str(created).encode("ascii"))
    return data.getvalue()


def generate_key(bits=4096):
    """A new RSA key pair as PEM (private ``RSA PRIVATE KEY``, public ``RSA PUBLIC KEY``), as ``dify signature generate``."""
    _need_crypto()
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    return private, public


def sign(package, private_key_pem, category="community", created=None):
    """The package signed with the operator's key, in the daemon's format."""
    _need_crypto()
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise BundleError("cannot read the plugin signing key (PEM RSA private key): %s" % exc) from exc
    source = _entries(package)
    created = int(time.time()) if created is None else int(created)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.is_dir() or info.filename == VERIFICATION_FILE:
                continue
            archive.writestr(info.filename, source.read(info.filename))
        # Go's json.Marshal of decoder.Verification: no spaces.
        archive.writestr(VERIFICATION_FILE, json.dumps({"authorized_category": category}, separators=(",", ":")))
        archive.comment = b""
    unsigned = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    signature = key.sign(_signed_data(unsigned, created), padding.PKCS1v15(), hashes.SHA256())
    out = io.BytesIO(buffer.getvalue())
    with zipfile.ZipFile(out, "a") as archive:
        archive.comment = json.dumps({"signature": base64.b64encode(signature).decode("ascii"), "time": created},
                                     separators=(",", ":")).encode("utf-8")
    return out.getvalue()


def verify(package, public_keys_pem):
    """Raise BundleError unless one of the keys signed the package (the daemon's check); return the signing time."""
    _need_crypto()
    archive = _entries(package)
    try:
        comment = json.loads(archive.comment.decode("utf-8") or "{}")
        signature = base64.b64decode(comment["signature"])
        created = int(comment["time"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError("the plugin package is not signed (no signature in its zip comment)") from exc
    data = _signed_data(archive, created)
    for pem in public_keys_pem:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise BundleError("cannot read a plugin verification key (PEM RSA PUBLIC KEY): %s" % exc) from exc
        try:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return created
        except InvalidSignature:
            continue
    raise BundleError("the plugin package's signature does not verify with any trusted key (tampered, or signed by another key)")


def read_member(package, name):
    archive = _entries(package)
    try:
        return archive.read(name)
    except KeyError as exc:
        raise BundleError("the plugin package holds no %s" % name) from exc


def requirements(package):
    """The requirements the daemon installs for the package, as text.

    With ``PIP_MIRROR_URL`` set (always, behind an air gap) the daemon prefers ``requirements.txt``
    and runs ``uv pip install``; without one it runs ``uv sync`` on ``pyproject.toml``, ``--frozen``
    when a ``uv.lock`` is there, and a lock names the public index's URLs
    (``internal/core/local_runtime/setup_python_environment.go``, ``detectDependencyFileType``,
    ``prepareSyncArgs``). A package without ``requirements.txt`` is refused here: exporting its lock
    (``uv export --frozen --format requirements.txt``, as the packager does) changes the package,
    so it must be signed again by its publisher or by the operator.
    """
    archive = _entries(package)
    names = set(archive.namelist())
    if "requirements.txt" not in names:
        raise BundleError("the plugin package has no requirements.txt%s; export one (uv export --frozen --format "
                          "requirements.txt --no-hashes), package and sign it again" %
                          (" (only pyproject.toml/uv.lock, which pin the public index)" if "uv.lock" in names else ""))
    return archive.read("requirements.txt").decode("utf-8")


def is_signed(package):
    try:
        comment = json.loads(_entries(package).comment.decode("utf-8") or "{}")
    except ValueError:
        return False
    return bool(comment.get("signature"))


def content_key(package):
    """sha256 over the package's file names and contents and its signature: zip times aside."""
    archive = _entries(package)
    digest = hashlib.sha256(archive.comment)
    for info in archive.infolist():
        if not info.is_dir():
            digest.update(info.filename.encode("utf-8") + b"\0" + hashlib.sha256(archive.read(info.filename)).digest())
    return digest.hexdigest()


def manifest_fields(package):
    """author, name and version of the package's manifest.yaml (its top-level keys)."""
    fields = {}
    for line in read_member(package, "manifest.yaml").decode("utf-8").splitlines():
        if line and not line[0].isspace() and ":" in line and not line.startswith("#"):
            key, _sep, value = line.partition(":")
            fields[key.strip()] = value.strip().strip("'\"")
    for required in ("author", "name", "version"):
        if not fields.get(required) or "/" in fields[required]:
            raise BundleError("the plugin's manifest.yaml has no usable %s" % required)
    return fields


def package_name(package):
    """``<author>-<name>-<version>.difypkg``."""
    fields = manifest_fields(package)
    return "%s-%s-%s.difypkg" % (fields["author"], fields["name"], fields["version"])
