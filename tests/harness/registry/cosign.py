"""cosign-style signatures made in Python, for the signature tests (no cosign binary needed).

What ``cosign sign --key`` stores, per sigstore/cosign's "simple signing" format:
a ``sha256-<hex>.sig`` tag in the image's repository holding an OCI manifest
whose one layer (media type ``application/vnd.dev.cosign.simplesigning.v1+json``)
is the JSON payload naming the repository and the manifest digest, with the
base64 ECDSA-P256/SHA-256 signature of that payload in the layer annotation
``dev.cosignproject.cosign/signature``.
"""

import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .images import OCI_CONFIG, OCI_MANIFEST, Blob

PAYLOAD_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"


class Key:
    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())

    def public_pem(self):
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, data):
        return base64.b64encode(self.private.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def sign_image(pusher, repo, reference_repository, digest, key):
    """Push a cosign signature of ``digest`` into ``repo`` (naming ``reference_repository``)."""
    payload = json.dumps({
        "critical": {"identity": {"docker-reference": reference_repository},
                     "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": None,
    }).encode()
    layer = Blob(payload, PAYLOAD_TYPE)
    config = Blob(json.dumps({"architecture": "", "os": "", "config": {}, "created": "0001-01-01T00:00:00Z",
                              "rootfs": {"type": "layers", "diff_ids": [layer.digest]}}).encode(), OCI_CONFIG)
    manifest = Blob(json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.descriptor(),
        "layers": [layer.descriptor(annotations={SIGNATURE_ANNOTATION: key.sign(payload)})],
    }).encode(), OCI_MANIFEST)
    for blob in (layer, config):
        pusher._blob(repo, blob)  # pylint: disable=protected-access
    pusher._manifest(repo, "sha256-%s.sig" % digest[len("sha256:"):], manifest)  # pylint: disable=protected-access
