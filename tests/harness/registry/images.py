"""Synthetic container images, made and pushed without any container tool.

Layers are real gzip-compressed tar files of pseudo-random content from a
seed, so the same spec always gives the same digests; configs carry the right
diff_ids. A spec can share base layers between images, use Docker schema 2 or
OCI media types, and be a multi-arch index. :class:`Pusher` uploads blobs and
manifests through the registry HTTP API (monolithic uploads), skipping blobs
the registry already has.
"""

import gzip
import hashlib
import io
import json
import random
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Blob:
    def __init__(self, data, media_type):
        self.data = data
        self.media_type = media_type
        self.digest = sha256(data)
        self.size = len(data)

    def descriptor(self, **extra):
        desc = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        desc.update(extra)
        return desc


_LAYER_CACHE = {}


def _content(seed, size):
    """``size`` bytes that depend on ``seed``: a 1 MiB pseudo-random block, each MiB stamped with its own hash.

    Fast to make even on a busy machine; registries and copiers never look inside.
    """
    block = random.Random(seed).randbytes(min(size, 1 << 20))  # noqa: S311 - test data, not secrets
    if size <= len(block):
        return block
    out = bytearray()
    index = 0
    while len(out) < size:
        stamp = hashlib.sha256(("%s/%d" % (seed, index)).encode()).digest()
        out += stamp + block[len(stamp):]
        index += 1
    return bytes(out[:size])


def layer_bytes(seed, size):
    """(gzip blob, diff_id) of a tar holding one file of ``size`` bytes made from ``seed``."""
    key = (seed, size)
    if key not in _LAYER_CACHE:
        content = _content(seed, size)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo("data/%s.bin" % seed)
            info.size = size
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
        tar_bytes = raw.getvalue()
        # Level 0 (stored blocks): still gzip, quick to make, and the size stays the content's.
        gz = gzip.compress(tar_bytes, compresslevel=0, mtime=0)
        _LAYER_CACHE[key] = (gz, sha256(tar_bytes))
    return _LAYER_CACHE[key]


class Image:
    """One platform image: config + layers, in Docker or OCI media types."""

    def __init__(self, layers, arch="amd64", os_name="linux", docker=False, label=""):
        self.docker = docker
        layer_type = DOCKER_LAYER if docker else OCI_LAYER
        self.layers = []
        diff_ids = []
        for seed, size in layers:
            data, diff_id = layer_bytes(seed, size)
            self.layers.append(Blob(data, layer_type))
            diff_ids.append(diff_id)
        config = {
            "architecture": arch, "os": os_name,
            "config": {"Labels": {"test.airgap/label": label or "x"}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "created": "1970-01-01T00:00:00Z",
        }
        self.config = Blob(json.dumps(config, sort_keys=True).encode(), DOCKER_CONFIG if docker else OCI_CONFIG)
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
            "config": self.config.descriptor(),
            "layers": [layer.descriptor() for layer in self.layers],
        }
        self.manifest = Blob(json.dumps(manifest, indent=2).encode(), manifest["mediaType"])
        self.platform = {"architecture": arch, "os": os_name}

    @property
    def blobs(self):
        return [self.config, *self.layers]

    @property
    def digest(self):
        return self.manifest.digest

    def all_blobs(self):
        return self.blobs


class Index:
    """A multi-arch index (OCI) or manifest list (Docker) of :class:`Image`."""

    def __init__(self, images, docker=False):
        self.images = images
        index = {
            "schemaVersion": 2,
            "mediaType": DOCKER_LIST if docker else OCI_INDEX,
            "manifests": [img.manifest.descriptor(platform=img.platform) for img in images],
        }
        self.manifest = Blob(json.dumps(index, indent=2).encode(), index["mediaType"])

    @property
    def digest(self):
        return self.manifest.digest

    def all_blobs(self):
        seen = {}
        for img in self.images:
            for blob in img.blobs:
                seen[blob.digest] = blob
        return list(seen.values())


def unique_size(artifacts):
    """Bytes of distinct blobs and manifests over ``artifacts``."""
    seen = {}
    for art in artifacts:
        seen[art.manifest.digest] = art.manifest.size
        if isinstance(art, Index):
            for img in art.images:
                seen[img.manifest.digest] = img.manifest.size
        for blob in art.all_blobs():
            seen[blob.digest] = blob.size
    return sum(seen.values())


class Pusher:
    """Push blobs and manifests to a :class:`registry.Registry` over its HTTP API."""

    def __init__(self, registry):
        self.registry = registry

    def _blob(self, repo, blob):
        status, _headers, _body = self.registry.request("HEAD", "/v2/%s/blobs/%s" % (repo, blob.digest))
        if status == 200:
            return False
        status, headers, body = self.registry.request("POST", "/v2/%s/blobs/uploads/" % repo, data=b"")
        if status != 202:
            raise RuntimeError("upload start %s: %s %s" % (repo, status, body[:300]))
        location = headers.get("Location") or headers.get("location")
        sep = "&" if "?" in location else "?"
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        status, _headers, body = self.registry.request(
            "PUT", "%s%sdigest=%s" % (location, sep, blob.digest), data=blob.data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(blob.size)})
        if status != 201:
            raise RuntimeError("upload %s %s: %s %s" % (repo, blob.digest, status, body[:300]))
        return True

    def _manifest(self, repo, reference, blob):
        status, _headers, body = self.registry.request(
            "PUT", "/v2/%s/manifests/%s" % (repo, reference), data=blob.data,
            headers={"Content-Type": blob.media_type})
        if status != 201:
            raise RuntimeError("manifest %s:%s: %s %s" % (repo, reference, status, body[:300]))

    def push(self, repo, artifact, tag=None):
        """Push an :class:`Image` or :class:`Index` (children first); return its digest."""
        images = artifact.images if isinstance(artifact, Index) else [artifact]
        for img in images:
            for blob in img.blobs:
                self._blob(repo, blob)
            self._manifest(repo, img.digest, img.manifest)
        if isinstance(artifact, Index):
            self._manifest(repo, artifact.digest, artifact.manifest)
        if tag:
            self._manifest(repo, tag, artifact.manifest)
        return artifact.digest


def small_set():
    """Four small images for the integration tests (about 2.5 MB in all).

    Shared base layers, both media-type families, an OCI multi-arch index and a
    Docker manifest list.
    """
    base = [("base-os", 400_000), ("base-runtime", 200_000)]
    return {
        "app-oci": Image([*base, ("app-oci", 150000)], label="app-oci"),
        "app-docker": Image([*base[:1], ("app-docker", 120000)], docker=True, label="app-docker"),
        "multi-oci": Index([
            Image([*base, ("multi-amd64", 100000)], arch="amd64", label="multi"),
            Image([("base-os-arm64", 300_000), ("multi-arm64", 100_000)], arch="arm64", label="multi"),
        ]),
        "multi-docker": Index([
            Image([*base[:1], ("mdock-amd64", 90000)], arch="amd64", docker=True, label="mdock"),
            Image([("base-os-arm64", 300_000), ("mdock-arm64", 90_000)], arch="arm64", docker=True, label="mdock"),
        ], docker=True),
    }


def bench_set(count=20, scale=1.0):
    """``count`` images of about 1 GB in all (``scale`` 1.0), sharing base layers.

    Three bases (120, 80 and 40 MiB) and a 4 MiB layer are shared by groups of
    images; each image adds two layers of its own (28 and 6 MiB), and every
    fourth image is a two-platform index whose arm64 image has a 6 MiB layer of
    its own: about 244 MiB shared + 680 MiB own + 30 MiB arm64 = 954 MiB of
    distinct blobs (about 2.3 GiB if every image were stored alone).
    """
    mb = int(1024 * 1024 * scale)
    bases = [[("bench-base-a", 120 * mb)], [("bench-base-b", 80 * mb)], [("bench-base-c", 40 * mb)]]
    images = {}
    for i in range(count):
        base = bases[i % 3] + [("bench-common", 4 * mb)]
        own = [("bench-%02d-app" % i, 28 * mb), ("bench-%02d-cfg" % i, 6 * mb)]
        if i % 4 == 3:
            images["bench-%02d" % i] = Index([
                Image(base + own, arch="amd64", label="bench-%02d" % i),
                Image([*base, ("bench-%02d-arm" % i, 6 * mb)], arch="arm64", label="bench-%02d" % i),
            ])
        else:
            images["bench-%02d" % i] = Image(base + own, label="bench-%02d" % i)
    return images
