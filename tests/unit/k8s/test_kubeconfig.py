"""Reading the connection from a kubeconfig: the forms installers and ``oc login`` write."""

import base64
import json
import stat

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.kubeconfig import (
    default_kubeconfig,
    load_connection,
)


def write(tmp_path, user, cluster=None, current="main", name="config"):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": "c", "cluster": cluster or {"server": "https://api.example.internal:6443/"}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "main", "context": {"cluster": "c", "user": "u"}},
                     {"name": "other", "context": {"cluster": "c"}}],
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_token_and_inline_ca(tmp_path):
    path = write(tmp_path, {"token": "sha256~abc"}, {"server": "https://api:6443", "certificate-authority-data":
                                                     base64.b64encode(b"PEM").decode()})
    conn = load_connection(path)
    assert (conn.server, conn.token, conn.ca_data, conn.ca_file) == ("https://api:6443", "sha256~abc", b"PEM", None)


def test_relative_files_are_relative_to_the_kubeconfig(tmp_path):
    (tmp_path / "token").write_text("from-file\n")
    path = write(tmp_path, {"tokenFile": "token", "client-certificate": "pki/admin.crt", "client-key": "/abs/admin.key"},
                 {"server": "https://api:6443", "certificate-authority": "pki/ca.crt"})
    conn = load_connection(path)
    assert conn.token == "from-file"
    assert conn.ca_file == str(tmp_path / "pki" / "ca.crt")
    assert conn.cert_file == str(tmp_path / "pki" / "admin.crt")
    assert conn.key_file == "/abs/admin.key"
    assert conn.server == "https://api:6443"


def test_basic_auth_and_a_chosen_context_without_user(tmp_path):
    path = write(tmp_path, {"username": "admin", "password": "pw"})
    assert load_connection(path).basic_auth() == "Basic " + base64.b64encode(b"admin:pw").decode()
    assert load_connection(path, context="other").basic_auth() is None


def test_exec_plugin_token(tmp_path):
    plugin = tmp_path / "plugin"
    plugin.write_text("#!/bin/sh\necho '%s'\n" % json.dumps(
        {"kind": "ExecCredential", "status": {"token": "exec-$TOKEN_SUFFIX"}}).replace("$TOKEN_SUFFIX", "ok"))
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    path = write(tmp_path, {"exec": {"command": str(plugin), "apiVersion": "client.authentication.k8s.io/v1"}})
    assert load_connection(path).token == "exec-ok"


def test_a_failing_exec_plugin_is_named(tmp_path):
    path = write(tmp_path, {"exec": {"command": "/bin/false"}})
    with pytest.raises(ValidationError, match="exec credential plugin /bin/false failed"):
        load_connection(path)


@pytest.mark.parametrize("context, message", [
    ("missing", "has no entry 'missing' in contexts"),
])
def test_unknown_context_is_named(tmp_path, context, message):
    with pytest.raises(ValidationError, match=message):
        load_connection(write(tmp_path, {"token": "t"}), context=context)


def test_no_current_context(tmp_path):
    with pytest.raises(ValidationError, match="has no current-context"):
        load_connection(write(tmp_path, {"token": "t"}, current=""))


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ValidationError, match="cannot read"):
        load_connection(str(tmp_path / "absent"))
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_connection(str(bad))


def test_default_path_order(tmp_path):
    assert default_kubeconfig({"K8S_AUTH_KUBECONFIG": "/a", "KUBECONFIG": "/b:/c"}) == "/a"
    assert default_kubeconfig({"KUBECONFIG": "/b:/c"}) == "/b"


def test_nothing_to_connect_with(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValidationError, match="not running in a pod"):
        load_connection(environ={})


def test_the_client_sends_the_token_or_basic_auth_and_nothing_for_certificates(tmp_path):
    from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.client import KubeClient

    token = KubeClient(load_connection(write(tmp_path, {"token": "sha256~abc"}, name="t")))
    basic = KubeClient(load_connection(write(tmp_path, {"username": "admin", "password": "pw"}, name="b")))
    cert = KubeClient(load_connection(write(tmp_path, {"client-certificate": "a.crt", "client-key": "a.key"}, name="c")))
    assert token.auth.headers() == {"Authorization": "Bearer sha256~abc"}
    assert basic.auth.headers() == {"Authorization": "Basic " + base64.b64encode(b"admin:pw").decode()}
    assert cert.auth is None
