# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The copier: skopeo, run as a subprocess, never with a secret on its command line.

Credentials go into a private containers auth file (mode 0600, in a private
temporary directory removed afterwards); a CA certificate for a registry goes
into a private cert directory as ``ca.crt`` (skopeo's ``--*-cert-dir``). A
signature policy and a registries.d directory can be given for cosign
(sigstore) verification. Errors are classified so that the caller can say
what went wrong in one sentence: credentials refused, image or repository not
found, project missing, no space left, signature refused, digest mismatch.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.process import run_process

BLOB_LINE = re.compile(r"^Copying (blob|config) (sha256:[0-9a-f]{64})(.*)$")


class CopyError(PlatformError):
    """skopeo failed; ``kind`` says why (auth, not_found, no_space, signature, digest, tls, other)."""

    def __init__(self, kind, message, output=""):
        super(CopyError, self).__init__(message)
        self.kind = kind
        self.output = output


# (kind, regular expression over the lowercased text, explanation); the first match wins. Status codes
# are matched as words only: a digest such as sha256:...0cf0401... must not look like an HTTP 401.
RULES = (
    ("no_space", r"no space left on device|disk quota exceeded", "no space left on the destination disk"),
    ("signature", r"signature|policy requirements|not allowed by policy", "the signature policy refused the image"),
    ("project", r"project \S+ not found", "the destination project does not exist"),
    ("auth", r"unauthorized|authentication required|\bdenied\b|invalid username/password|\b401\b|\b403\b",
     "the registry refused the credentials or the access"),
    ("not_found", r"manifest unknown|name unknown|not found|\b404\b", "the image or repository was not found"),
    ("digest", r"digest|does not match|mismatch", "a digest did not match"),
    ("tls", r"x509|certificate|\btls:", "TLS verification failed (set the CA certificate of the registry)"),
    ("connection", r"connection refused|no such host|i/o timeout|connection reset", "the registry could not be reached"),
)


def classify(output):
    """Map skopeo's (or crane's) error text to a kind and a short explanation."""
    text = (output or "").lower()
    for kind, pattern, explanation in RULES:
        if re.search(pattern, text):
            return kind, explanation
    return "other", "skopeo failed"


def last_lines(text, count=6):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])


class Endpoint:
    """How to reach one side (registries): credentials per host, CA file, TLS verification."""

    def __init__(self, credentials=None, ca_path=None, tls_verify=True):
        self.credentials = dict(credentials or {})  # host -> (username, password)
        self.ca_path = ca_path
        self.tls_verify = tls_verify


class Skopeo:
    """Runs skopeo with private auth and cert files; use as a context manager."""

    def __init__(self, src=None, dest=None, binary="skopeo", policy_path=None, registries_d=None,
                 retry_times=3, command_timeout=None, tmpdir=None):
        self.binary = binary
        self.src = src or Endpoint()
        self.dest = dest or Endpoint()
        self.policy_path = policy_path
        self.registries_d = registries_d
        self.retry_times = retry_times
        self.command_timeout = command_timeout
        self.tmpdir = tmpdir
        self.private = None
        self._files = {}

    def __enter__(self):
        self.private = tempfile.mkdtemp(prefix="airgap-skopeo-")
        os.chmod(self.private, 0o700)
        for side, endpoint in (("src", self.src), ("dest", self.dest)):
            if endpoint.credentials:
                path = os.path.join(self.private, "%s-auth.json" % side)
                auths = {}
                for host, (user, password) in endpoint.credentials.items():
                    token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
                    auths[host] = {"auth": token}
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as handle:
                    json.dump({"auths": auths}, handle)
                self._files["%s-auth" % side] = path
            if endpoint.ca_path:
                certs = os.path.join(self.private, "%s-certs" % side)
                os.mkdir(certs, 0o700)
                shutil.copyfile(endpoint.ca_path, os.path.join(certs, "ca.crt"))
                self._files["%s-certs" % side] = certs
        return self

    def __exit__(self, *exc):
        if self.private:
            shutil.rmtree(self.private, ignore_errors=True)
        self.private = None
        self._files = {}

    # -- command lines -----------------------------------------------------------------------
    def _global(self):
        args = [self.binary]
        if self.policy_path:
            args += ["--policy", self.policy_path]
        else:
            # The copy is pinned by digest: what it reads is exactly what the manifest names.
            args += ["--insecure-policy"]
        if self.registries_d:
            args += ["--registries.d", self.registries_d]
        if self.tmpdir:
            args += ["--tmpdir", self.tmpdir]
        if self.command_timeout:
            args += ["--command-timeout", "%ds" % int(self.command_timeout)]
        return args

    def _side(self, side, prefix, ref):
        endpoint = self.src if side == "src" else self.dest
        args = []
        if not ref.startswith("docker://"):
            return args
        if "%s-auth" % side in self._files:
            args += ["--%sauthfile" % prefix, self._files["%s-auth" % side]]
        else:
            args += ["--%sno-creds" % prefix] if prefix else []
        if "%s-certs" % side in self._files:
            args += ["--%scert-dir" % prefix, self._files["%s-certs" % side]]
        args += ["--%stls-verify=%s" % (prefix, "true" if endpoint.tls_verify else "false")]
        return args

    def copy_command(self, src, dst, multi_arch="all", src_shared_blob_dir=None, dest_shared_blob_dir=None,
                     remove_signatures=True):
        args = [*self._global(), "copy", "--preserve-digests", "--multi-arch", multi_arch, "--retry-times", str(self.retry_times)]
        if remove_signatures:
            args.append("--remove-signatures")
        args += self._side("src", "src-", src) + self._side("dest", "dest-", dst)
        if src_shared_blob_dir:
            args += ["--src-shared-blob-dir", src_shared_blob_dir]
        if dest_shared_blob_dir:
            args += ["--dest-shared-blob-dir", dest_shared_blob_dir]
        return [*args, src, dst]

    def inspect_command(self, ref, side="src"):
        args = [*self._global(), "inspect", "--raw", "--retry-times", str(self.retry_times)]
        endpoint_args = self._side(side, "", ref)
        if side == "src" and "src-auth" not in self._files:
            endpoint_args = [a for a in endpoint_args if a != "--no-creds"]
        return args + endpoint_args + [ref]

    # -- running -----------------------------------------------------------------------------
    def run(self, args, timeout=None, on_start=None):
        """Run skopeo; return (rc, stdout, stderr). ``on_start(process)`` lets the caller track it."""
        env = dict(os.environ)
        env.pop("REGISTRY_AUTH_FILE", None)
        env["LC_ALL"] = "C"
        rc, out, err = run_process(args, env, timeout, on_start)
        return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def inspect_raw(self, ref, side="src", timeout=300):
        """The raw manifest bytes at ``ref`` (a ``docker://`` reference)."""
        env = dict(os.environ, LC_ALL="C")
        env.pop("REGISTRY_AUTH_FILE", None)
        # AnsibleModule.run_command has no timeout; a hung registry must not hang the run.
        # pylint: disable-next=ansible-bad-function
        proc = subprocess.run(self.inspect_command(ref, side), capture_output=True, env=env, timeout=timeout,  # noqa: S603
                              check=False)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace")
            kind, why = classify(err)
            raise CopyError(kind, "%s: %s (%s)" % (ref, why, last_lines(err, 3)), err)
        return proc.stdout

    def copy(self, src, dst, timeout=None, on_start=None, **kwargs):
        """Copy; return {"copied": [digest...], "skipped": [digest...]} from skopeo's report."""
        rc, out, err = self.run(self.copy_command(src, dst, **kwargs), timeout=timeout, on_start=on_start)
        if rc != 0:
            kind, why = classify(err or out)  # stdout holds "Getting image source signatures": not an error
            raise CopyError(kind, "%s -> %s: %s (%s)" % (src, dst, why, last_lines(err or out)), err + out)
        return parse_copy_output(out)


def parse_copy_output(out):
    """Which blobs skopeo transferred and which it found already present, from its non-TTY report."""
    copied, skipped = [], []
    for line in out.splitlines():
        match = BLOB_LINE.match(line.strip())
        if not match:
            continue
        digest, rest = match.group(2), match.group(3)
        if "skipped" in rest or "already exists" in rest:
            if digest not in skipped:
                skipped.append(digest)
        elif digest not in copied:
            copied.append(digest)
    return {"copied": [d for d in copied if d not in skipped], "skipped": skipped}


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()
