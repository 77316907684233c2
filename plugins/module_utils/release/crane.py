# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""crane (go-containerregistry), the copier that writes the on-disk OCI layout.

skopeo 1.9's OCI layout writer converts Docker schema 2 manifests and lists to
OCI types, which changes their digests (it refuses with --preserve-digests), so
the registry-to-disk copy is done by ``crane pull --format oci``: it stores
every manifest byte for byte, whatever its media type, skips blobs the layout
already holds, and writes each blob to a temporary file renamed into place.

Credentials go into a private Docker config (``DOCKER_CONFIG``, mode 0600 in a
private temporary directory); a CA for the source registry is added to a
private bundle given to crane as ``SSL_CERT_FILE`` (Go reads it in place of
the system bundle, so the system CAs are copied in first).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import ssl
import subprocess
import tempfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.process import run_process
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import CopyError, classify, last_lines

SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",  # RHEL, Fedora
    "/etc/ssl/ca-bundle.pem",  # SUSE
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def system_bundle():
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *SYSTEM_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


class Crane:
    """Runs crane against one source endpoint; use as a context manager."""

    def __init__(self, endpoint, binary="crane"):
        self.endpoint = endpoint
        self.binary = binary
        self.private = None
        self.env = None

    def __enter__(self):
        self.private = tempfile.mkdtemp(prefix="airgap-crane-")
        os.chmod(self.private, 0o700)
        env = dict(os.environ)
        for key in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
            env.pop(key, None)
        config_dir = os.path.join(self.private, "docker")
        os.mkdir(config_dir, 0o700)
        auths = {}
        for host, (user, password) in self.endpoint.credentials.items():
            auths[host] = {"auth": base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")}
        fd = os.open(os.path.join(config_dir, "config.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"auths": auths}, handle)
        env["DOCKER_CONFIG"] = config_dir
        if self.endpoint.ca_path:
            bundle = os.path.join(self.private, "ca-bundle.pem")
            with open(bundle, "wb") as out:
                system = system_bundle()
                if system:
                    with open(system, "rb") as handle:
                        out.write(handle.read().rstrip(b"\n") + b"\n")
                with open(self.endpoint.ca_path, "rb") as handle:
                    out.write(handle.read())
            env["SSL_CERT_FILE"] = bundle
        env["LC_ALL"] = "C"
        self.env = env
        return self

    def __exit__(self, *exc):
        if self.private:
            shutil.rmtree(self.private, ignore_errors=True)
        self.private = None

    def _global(self):
        args = [self.binary]
        if not self.endpoint.tls_verify:
            args.append("--insecure")
        return args

    def run(self, args, timeout=None, on_start=None):
        """Run crane; return (rc, stdout bytes, stderr bytes)."""
        return run_process([*self._global(), *args], self.env, timeout, on_start)

    def verify_signature(self, ref, public_key, cosign="cosign", ignore_tlog=True, timeout=600):
        """``cosign verify --key``: the signature of ``ref`` (by digest) made with that key. Raises CopyError."""
        args = [cosign, "verify", "--key", public_key, "--output", "json"]
        if ignore_tlog:
            args.append("--insecure-ignore-tlog=true")
        if not self.endpoint.tls_verify:
            args.append("--allow-insecure-registry")
        # AnsibleModule.run_command has no timeout; a hung registry must not hang the run.
        # pylint: disable-next=ansible-bad-function
        process = subprocess.run([*args, ref], capture_output=True, env=self.env, timeout=timeout, check=False)  # noqa: S603
        if process.returncode != 0:
            text = (process.stderr + process.stdout).decode("utf-8", "replace")
            if "no such file" in text.lower() and cosign in text:
                raise CopyError("other", "cosign (%s) cannot run: %s" % (cosign, last_lines(text, 2)), text)
            raise CopyError("signature_policy", "%s: the cosign signature check failed: %s" % (ref, last_lines(text, 3)), text)
        return process.stdout

    def manifest(self, ref, timeout=300):
        """Raw manifest bytes of ``ref`` (``host/path@digest`` or ``host/path:tag``)."""
        rc, out, err = self.run(["manifest", ref], timeout=timeout)
        if rc != 0:
            text = err.decode("utf-8", "replace")
            kind, why = classify(text)
            raise CopyError(kind, "%s: %s (%s)" % (ref, why, last_lines(text, 3)), text)
        return out

    def pull(self, ref, layout, timeout=None, on_start=None):
        """``crane pull --format oci``: the image or whole index at ``ref`` into the layout directory."""
        rc, out, err = self.run(["pull", "--format", "oci", ref, layout], timeout=timeout, on_start=on_start)
        if rc != 0:
            text = (err + out).decode("utf-8", "replace")
            kind, why = classify(text)
            raise CopyError(kind, "%s -> %s: %s (%s)" % (ref, layout, why, last_lines(text)), text)

    def version(self):
        rc, out, _err = self.run(["version"], timeout=60)
        return out.decode().strip() if rc == 0 else None
