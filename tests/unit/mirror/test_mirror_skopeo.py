"""The copiers' command lines and error classes (plugins/module_utils/release/skopeo.py, crane.py)."""

import json
import os

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.crane import Crane
from ansible_collections.airgap.dify_platform.plugins.module_utils.release.skopeo import Endpoint, Skopeo, classify, parse_copy_output


@pytest.mark.parametrize("text, kind", [
    ("writing blob: write /x: no space left on device", "no_space"),
    ("reading manifest x: unauthorized: authentication required", "auth"),
    ("initializing source: invalid username/password", "auth"),
    ('unknown: project mirror not found: project mirror not found', "project"),
    ("reading manifest sha256:x in h/a: manifest unknown", "not_found"),
    ("x509: certificate signed by unknown authority", "tls"),
    ("dial tcp 127.0.0.1:1: connect: connection refused", "connection"),
    ("Source image rejected: A signature was required, but no signature exists", "signature"),
    ("something else", "other"),
    # A digest that happens to hold "401" or "403" is not an HTTP status.
    ("reading manifest sha256:07abddd6c6ef784806c552309783da59b623af0cf0401baff217828740123a: manifest unknown",
     "not_found"),
])
def test_classify(text, kind):
    assert classify(text)[0] == kind


def test_copy_output_parse():
    out = "Copying blob sha256:%s\nCopying blob sha256:%s skipped: already exists\nCopying config sha256:%s\n" % (
        "a" * 64, "b" * 64, "c" * 64)
    assert parse_copy_output(out) == {"copied": ["sha256:" + "a" * 64, "sha256:" + "c" * 64],
                                      "skipped": ["sha256:" + "b" * 64]}


def test_secrets_never_reach_a_command_line(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    src = Endpoint({"src.example.com": ("alice", "Src-Secret-1")}, str(ca))
    dest = Endpoint({"harbor.example.com": ("robot$push", "Dest-Secret-1")}, str(ca), tls_verify=True)
    with Skopeo(src=src, dest=dest) as skopeo:
        args = skopeo.copy_command("docker://src.example.com/a@sha256:" + "a" * 64,
                                   "docker://harbor.example.com/m/a@sha256:" + "a" * 64)
        joined = " ".join(args)
        assert "Src-Secret-1" not in joined and "Dest-Secret-1" not in joined
        assert "--preserve-digests" in args and "--src-authfile" in args and "--dest-cert-dir" in args
        with open(args[args.index("--dest-authfile") + 1]) as handle:
            auth = json.load(handle)
        assert list(auth["auths"]) == ["harbor.example.com"]
        assert oct(os.stat(args[args.index("--dest-authfile") + 1]).st_mode & 0o777) == "0o600"
        private = skopeo.private
    assert not os.path.exists(private), "the private files are removed"
    with Crane(src) as crane:
        config = os.path.join(crane.env["DOCKER_CONFIG"], "config.json")
        assert oct(os.stat(config).st_mode & 0o777) == "0o600"
        assert "Src-Secret-1" not in " ".join(crane._global())
        with open(crane.env["SSL_CERT_FILE"]) as handle:
            bundle = handle.read()
        assert bundle.rstrip().endswith("-----END CERTIFICATE-----")
