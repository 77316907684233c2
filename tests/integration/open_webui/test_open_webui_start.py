"""The rendered Open WebUI container, started for real on the PostgreSQL image (both built here).

The container's command, args, environment and mounts come from the open_webui role's templates,
as the kubelet would pass them: secrets filled with throw-away values, ``$(VAR)`` expanded, every
volumeMount a tmpfs, the role's database host resolved to the PostgreSQL container. It runs as
restricted-v2 runs a pod: an arbitrary UID with GID 0, a read-only root, no capabilities.

What is checked: it starts and is ready (/ready: start-up complete and the database answers) with
nothing writable but the role's volumes; its schema is in PostgreSQL; sign-in is offered only
through the OIDC provider (no login form, no sign-up), and the password sign-in and sign-up APIs
refuse. Needs `make images IMAGES="postgres open-webui"` (or AIRGAP_TEST_IMAGE_OPEN_WEBUI naming a local image).
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from helpers import kubelet
from helpers.role_render import render_role_objects

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")
IMAGES = REPO / "hack" / "images"
RESTRICTED = ["--user", "1000770000:0", "--read-only", "--read-only-tmpfs=false", "--cap-drop=ALL",
              "--security-opt=no-new-privileges"]
START_TIMEOUT = int(os.environ.get("OPEN_WEBUI_START_TIMEOUT", "600"))


def local_ref(recipe, entry):
    # A local image given by hand (e.g. a build whose stamp is not written yet), else the stamp's.
    override = os.environ.get("AIRGAP_TEST_IMAGE_%s" % recipe.upper().replace("-", "_"))
    if override:
        return override
    stamp = CACHE / "images" / "stamps" / ("%s.json" % recipe)
    if not stamp.is_file():
        pytest.skip("image %s not built: make images IMAGES=%s" % (recipe, recipe))
    return json.loads(stamp.read_text())["images"][entry]["local"]


def podman(*args, check=True, timeout=300):
    env = dict(os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF") or str(CACHE / "images" / "containers.conf"))
    out = subprocess.run(["podman", *args], capture_output=True, text=True, check=False, timeout=timeout, env=env)
    if check and out.returncode != 0:
        raise RuntimeError("podman %s: %s" % (" ".join(args[:2]), out.stderr[-2000:]))
    return out


def http(url, data=None):
    """(status, parsed JSON or text) of a GET, or of a POST of ``data`` as JSON."""
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, None  # not listening yet
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


@pytest.fixture(scope="module")
def container():
    objects = render_role_objects("open_webui", ("open-webui.yml.j2",), {
        "dify_platform_namespace": "ai", "dify_platform_domain": "apps.example.test",
        "dify_platform_images": {"open_webui": "unused@sha256:" + "0" * 64}})
    deployment = objects[("Deployment", "open-webui")]
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture(scope="module")
def running(container, tmp_path_factory):
    """The PostgreSQL container, then Open WebUI in its network: (base URL, pg name, start seconds, logs)."""
    pg_image, webui_image = local_ref("postgres", "postgres"), local_ref("open-webui", "open_webui")
    name = "airgap-open-webui-%s" % uuid.uuid4().hex[:8]
    password = uuid.uuid4().hex
    secrets = {"password": password, "username": "open_webui", "secret-key": uuid.uuid4().hex,
               "client-id": "open-webui", "client-secret": uuid.uuid4().hex,
               "issuer-url": "https://keycloak.apps.example.test/realms/dify-platform", "api-key": uuid.uuid4().hex}
    env = kubelet.container_env(container, lambda _name, key: secrets[key])
    ca = tmp_path_factory.mktemp("ca") / "ca-bundle.crt"
    ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    try:
        podman("run", "-d", "--name", name + "-pg", "-p", "127.0.0.1::8080", *RESTRICTED,
               "--add-host", "%s:127.0.0.1" % "dify-platform-pg-rw",
               "--tmpfs", "/tmp:rw,mode=1777", "--tmpfs", "/var/lib/postgresql/data:rw,mode=1777",
               "--tmpfs", "/var/run/postgresql:rw,mode=1777",
               "-v", "%s:/smoke/serve-tcp.sh:ro" % (IMAGES / "postgres" / "smoke" / "serve-tcp.sh"),
               pg_image, "sh", "/smoke/serve-tcp.sh")
        deadline = time.monotonic() + 120
        while podman("exec", name + "-pg", "pg_isready", "-q", "-h", "127.0.0.1", check=False).returncode != 0:
            assert time.monotonic() < deadline, "PostgreSQL not ready"
            time.sleep(1)
        podman("exec", "-i", name + "-pg", "psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1",
               "-c", "CREATE ROLE open_webui LOGIN PASSWORD '%s'" % password, "-c", "CREATE DATABASE open_webui OWNER open_webui")
        # Every volumeMount of the role a tmpfs (the PVC and the emptyDirs), the CA bundle a file.
        mounts = []
        for mount in container["volumeMounts"]:
            if mount["name"] == "ca-bundle":
                mounts += ["-v", "%s:%s/ca-bundle.crt:ro" % (ca, mount["mountPath"])]
            else:
                mounts += ["--tmpfs", "%s:rw,mode=1777" % mount["mountPath"]]
        env_args = [word for name_value in env.items() for word in ("-e", "%s=%s" % name_value)]
        argv = kubelet.argv(container, env)
        start = time.monotonic()
        podman("run", "-d", "--name", name, "--network", "container:%s-pg" % name, *RESTRICTED, *mounts, *env_args,
               "--entrypoint", argv[0], webui_image, *argv[1:])
        url = "http://" + podman("port", name + "-pg", "8080/tcp").stdout.split()[0]
        while http(url + "/ready")[0] != 200:
            running_state = podman("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            if running_state != "true" or time.monotonic() - start > START_TIMEOUT:
                pytest.fail("Open WebUI not ready after %.0fs:\n%s" % (time.monotonic() - start, podman("logs", "--tail", "60", name, check=False).stderr))
            time.sleep(2)
        yield url, name + "-pg", time.monotonic() - start, name
    finally:
        for suffix in ("", "-pg"):
            podman("rm", "-f", "-t", "2", name + suffix, check=False)


def test_ready_under_restricted_with_a_read_only_root(running):
    url, _pg, seconds, name = running
    assert http(url + "/health") == (200, {"status": True})
    user = podman("exec", name, "id", "-u").stdout.strip()
    assert user == "1000770000"
    # Nothing but the role's volumes is writable.
    probe = podman("exec", name, "sh", "-c", "touch /app/probe 2>&1 || echo refused", check=False).stdout
    assert "Read-only file system" in probe or "refused" in probe
    print("\nOpen WebUI ready after %.1fs" % seconds)


def test_its_schema_is_in_postgresql(running):
    _url, pg, _seconds, _name = running
    tables = podman("exec", pg, "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "open_webui", "-tAc",
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'open_webui'").stdout.split()
    assert {"user", "auth", "chat", "file", "group"} <= set(tables), tables


def test_sign_in_is_offered_only_through_keycloak(running):
    url, _pg, _seconds, _name = running
    status, config = http(url + "/api/config")
    assert status == 200
    assert config["oauth"]["providers"] == {"oidc": "Keycloak"}
    assert config["features"]["enable_login_form"] is False
    assert config["features"]["enable_signup"] is False
    # The APIs behind the hidden form refuse too.
    assert http(url + "/api/v1/auths/signin", {"email": "someone@example.test", "password": "guess"})[0] in (400, 403)
    assert http(url + "/api/v1/auths/signup", {"name": "x", "email": "x@example.test", "password": "guess"})[0] in (400, 403)
