# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plugin packages from Dify's marketplace, on the connected side, as Dify itself downloads them.

The URL and the checks are Dify's (github.com/langgenius/dify, ``api/core/helper/marketplace.py``
``get_plugin_pkg_url`` and ``api/core/helper/download.py`` ``download_with_size_limit``):

* ``<MARKETPLACE_API_URL>/api/v1/plugins/<org>/<name>/<version>/download`` for an identifier
  ``<org>/<name>:<version>@<checksum>`` (the checksum dropped), else the older
  ``/api/v1/plugins/download?unique_identifier=<identifier>``;
* a HEAD first, refused when its Content-Length is above the limit; then a GET that follows
  redirects; 404 is "file not found"; the body is refused past the limit
  (``PLUGIN_MAX_PACKAGE_SIZE``, 15 MiB by default in ``api/configs/feature/__init__.py``).

Added here: the package must be the identifier's (author, name and version of its manifest)
and signed (the marketplace signs what it serves; the daemon verifies the signature on install).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle import difypkg, files
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.dsl_plugins import parse_identifier
from ansible_collections.airgap.dify_platform.plugins.module_utils.bundle.files import BundleError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import require_http_url

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import open_url

DEFAULT_URL = "https://marketplace.dify.ai"
MAX_PACKAGE_SIZE = 15728640  # Dify's PLUGIN_MAX_PACKAGE_SIZE default


def package_url(base, identifier):
    """Dify's get_plugin_pkg_url."""
    base = base.rstrip("/")
    if "/" in identifier and ":" in identifier:
        bare = identifier.split("@", 1)[0]
        org_and_name, version = bare.rsplit(":", 1)
        org, name = org_and_name.split("/", 1)
        return "%s/api/v1/plugins/%s/%s/%s/download" % (base, quote(org, safe=""), quote(name, safe=""), quote(version, safe=""))
    return "%s/api/v1/plugins/download?%s" % (base, urlencode({"unique_identifier": identifier}))


def _open(url, method, timeout, ca_path):
    # Redirects followed, as Dify's download does (follow_redirects=True).
    return open_url(url, method=method, timeout=timeout, headers={"User-Agent": "airgap.dify_platform"},
                    follow_redirects="all", ca_path=ca_path)


def _too_big(response, limit):
    length = response.headers.get("Content-Length")
    try:
        return length is not None and int(length) > limit
    except ValueError:
        return False


def fetch(base, identifier, limit=MAX_PACKAGE_SIZE, timeout=60, ca_path=None):
    """The package's bytes, as download_with_size_limit gets them."""
    url = package_url(require_http_url(base, "dify_plugin_marketplace_url"), identifier)
    try:  # HEAD: a known size above the limit is refused before the download; a HEAD that fails is ignored
        with _open(url, "HEAD", timeout, ca_path) as head:
            if _too_big(head, limit):
                raise BundleError("%s: the package is larger than %d bytes (%s)" % (identifier, limit, url))
    except HTTPError as exc:
        if exc.code == 404:
            raise BundleError("%s: file not found on the marketplace (%s, HTTP 404)" % (identifier, url)) from exc
    except (URLError, OSError, ValueError):
        pass
    try:
        with _open(url, "GET", timeout, ca_path) as response:
            if _too_big(response, limit):
                raise BundleError("%s: the package is larger than %d bytes (%s)" % (identifier, limit, url))
            chunks, total = [], 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise BundleError("%s: the package is larger than %d bytes (%s)" % (identifier, limit, url))
                chunks.append(chunk)
    except HTTPError as exc:
        if exc.code == 404:
            raise BundleError("%s: file not found on the marketplace (%s, HTTP 404)" % (identifier, url)) from exc
        raise BundleError("%s: the marketplace answered HTTP %d (%s)" % (identifier, exc.code, url)) from exc
    except (URLError, OSError) as exc:
        raise BundleError("%s: cannot download %s: %s" % (identifier, url, getattr(exc, "reason", exc))) from exc
    return b"".join(chunks)


def download(base, identifier, directory, limit=MAX_PACKAGE_SIZE, timeout=60, ca_path=None):
    """Fetch the identifier's package into ``directory`` (``<author>-<name>-<version>.difypkg``); its path."""
    wanted = parse_identifier(identifier)
    data = fetch(base, identifier, limit, timeout, ca_path)
    # Any unreadable answer (not a zip, no manifest.yaml) is not a package.
    try:
        fields = difypkg.manifest_fields(data)
    except Exception as exc:  # pylint: disable=broad-except
        raise BundleError("%s: the marketplace's answer is not a plugin package (%s)" % (identifier, exc)) from exc
    got = (fields["author"], fields["name"], fields["version"])
    if got != wanted:
        raise BundleError("%s: the marketplace served %s/%s:%s" % (identifier, got[0], got[1], got[2]))
    if not difypkg.is_signed(data):
        raise BundleError("%s: the marketplace served an unsigned package" % identifier)
    path = os.path.join(directory, difypkg.package_name(data))
    files.atomic_write(path, data)
    return path
