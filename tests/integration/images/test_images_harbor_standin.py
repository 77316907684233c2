"""The Harbor stand-in, for real: distribution's registry with TLS from the test CA and the robot
account, an image pushed by digest from an OCI layout, and the files the kind inventory reads."""

import base64
import io
import json
import socket
import ssl
import tarfile
import urllib.error
import urllib.request

import pytest
import yaml
from cryptography import x509
from airgap_images import oci
from airgap_images.builder import Builder
from airgap_images.harbor import Standin
from airgap_images.push import push_all


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url, ca, auth=None):
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - https on loopback
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(ca)), timeout=30) as resp:  # noqa: S310
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _tiny_image(builder, name, entry):
    """A one-file image in the builder's cache, with a stamp, as build.py leaves them."""
    tar_path = builder.root / "work" / "tiny.tar"
    with tarfile.open(tar_path, "w") as tar:
        info = tarfile.TarInfo("etc/tiny")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"tiny\n"))
    layout = builder.root / "oci" / name
    digest, size = oci.add_image(layout, oci.add_layer(layout, tar_path), {"User": "1001:0", "Cmd": ["true"]}, 0, "t")
    oci.write_index(layout, {entry: (digest, size)})
    stamp = {"hash": "f" * 64, "kind": "real", "built_version": "tiny-1",
             "images": {entry: {"digest": digest, "local": "unused", "upstream_version": "x"}}}
    builder.stamp_path(name).write_text(json.dumps(stamp))
    return digest


@pytest.fixture
def standin(tmp_path):
    stand = Standin(tmp_path, port=_free_port(), project="dify-platform")
    registry = stand.up()
    yield stand, registry
    stand.down()


def test_tls_and_the_robot_account(standin):
    stand, _registry = standin
    robot = stand.robot()
    assert robot["username"] == "robot$dify-platform+pull"
    assert (stand.dir / "robot.json").stat().st_mode & 0o077 == 0
    url = "https://%s/v2/" % stand.push_host
    assert _status(url, stand.ca.cert_path) == 401
    assert _status(url, stand.ca.cert_path, "%s:wrong" % robot["username"]) == 401
    assert _status(url, stand.ca.cert_path, "%s:%s" % (robot["username"], robot["password"])) == 200
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(url, context=ssl.create_default_context(), timeout=30)  # noqa: S310
    # The certificate names what the kind nodes call the registry.
    cert = x509.load_pem_x509_certificate((stand.dir / "ca" / "harbor-standin.crt").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "host.containers.internal" in sans.get_values_for_type(x509.DNSName)
    assert stand.registry_host.startswith("host.containers.internal:")


def test_up_is_idempotent_and_down_stops_it(standin):
    stand, _registry = standin
    pid = stand.running_pid()
    stand.up()
    assert stand.running_pid() == pid
    assert stand.down() == pid
    assert stand.running_pid() is None


def test_push_by_digest_and_inventory_files(standin, tmp_path):
    stand, registry = standin
    builder = Builder(tmp_path)
    digest = _tiny_image(builder, "redis", "redis")
    logged = []
    entries = push_all(builder, stand, registry, ["redis"], log=logged.append)
    assert entries["redis"]["digest"] == digest
    assert entries["redis"]["reference"] == "%s/dify-platform/library/redis@%s" % (stand.registry_host, digest)
    assert entries["keycloak"]["kind"] == "not built" and entries["keycloak"]["digest"] is None
    status, _headers, _body = registry.request("HEAD", "/v2/dify-platform/library/redis/manifests/%s" % digest,
                                               headers={"Accept": oci.OCI_MANIFEST})
    assert status == 200
    release = yaml.safe_load((stand.dir / "release-manifest.yml").read_text())
    assert release["images"]["redis"]["digest"] == digest
    assert release["images"]["redis"]["repository"] == "docker.io/library/redis"
    overrides = yaml.safe_load((stand.dir / "image-overrides.yml").read_text())["dify_platform_image_overrides"]
    assert overrides == {"redis": entries["redis"]["reference"]}
    assert stand.robot()["password"] not in (stand.dir / "images.json").read_text()
    # Pushed already: a second push copies nothing.
    logged.clear()
    push_all(builder, stand, registry, ["redis"], log=logged.append)
    assert not [line for line in logged if "pushed" in line]
