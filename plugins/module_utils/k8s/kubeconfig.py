# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the cluster is and how to authenticate to it, read from a kubeconfig.

Covers what ``oc login`` and the usual installers write: a token or token file,
client certificate and key (as files or inline data), basic auth, the CA as a
file or inline data, ``insecure-skip-tls-verify``, and an exec credential
plugin. Without a kubeconfig, the pod's service account is used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import subprocess

from ansible.module_utils.common.yaml import yaml_load

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class Connection:
    """The API server URL and the credentials to reach it."""

    def __init__(self, server, ca_file=None, ca_data=None, insecure=False, token=None,
                 cert_file=None, key_file=None, cert_data=None, key_data=None,
                 username=None, password=None, source=""):
        self.server = server.rstrip("/")
        self.ca_file = ca_file
        self.ca_data = ca_data
        self.insecure = insecure
        self.token = token
        self.cert_file = cert_file
        self.key_file = key_file
        self.cert_data = cert_data
        self.key_data = key_data
        self.username = username
        self.password = password
        self.source = source

    def basic_auth(self):
        if self.username is None:
            return None
        pair = "%s:%s" % (self.username, self.password or "")
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def default_kubeconfig(environ=None):
    """The kubeconfig path the kubernetes.core modules would use, or None."""
    environ = os.environ if environ is None else environ
    for name in ("K8S_AUTH_KUBECONFIG", "KUBECONFIG"):
        value = environ.get(name)
        if value:
            return value.split(os.pathsep)[0]
    path = os.path.expanduser("~/.kube/config")
    return path if os.path.exists(path) else None


def load_connection(kubeconfig=None, context=None, environ=None):
    """Read the connection from ``kubeconfig`` (or the default one, or the service account)."""
    path = kubeconfig or default_kubeconfig(environ)
    if path:
        return _from_kubeconfig(os.path.expanduser(path), context)
    environ = os.environ if environ is None else environ
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return _in_cluster(environ)
    raise ValidationError(
        "kubeconfig: no kubeconfig given, none in K8S_AUTH_KUBECONFIG, KUBECONFIG or ~/.kube/config, "
        "and not running in a pod")


def _from_kubeconfig(path, context_name):
    try:
        with open(path, "rb") as handle:
            config = yaml_load(handle) or {}
    except OSError as exc:
        raise ValidationError("kubeconfig: cannot read %s: %s" % (path, exc)) from exc
    except Exception as exc:  # a YAML error: say which file
        raise ValidationError("kubeconfig: %s is not valid YAML: %s" % (path, exc)) from exc
    base = os.path.dirname(os.path.abspath(path))
    name = context_name or config.get("current-context")
    if not name:
        raise ValidationError("kubeconfig: %s has no current-context; set context" % path)
    context = _named(config, "contexts", name, path).get("context") or {}
    cluster = _named(config, "clusters", context.get("cluster"), path).get("cluster") or {}
    user = {}
    if context.get("user"):
        user = _named(config, "users", context["user"], path).get("user") or {}
    if not cluster.get("server"):
        raise ValidationError("kubeconfig: cluster %r in %s has no server" % (context.get("cluster"), path))

    def relative(value):
        return value if not value or os.path.isabs(value) else os.path.join(base, value)

    token = user.get("token")
    if not token and user.get("tokenFile"):
        token = _read_text(relative(user["tokenFile"]), "users.user.tokenFile")
    if not token and user.get("exec"):
        token = _exec_token(user["exec"])
    return Connection(
        server=cluster["server"],
        ca_file=relative(cluster.get("certificate-authority")),
        ca_data=_decoded(cluster.get("certificate-authority-data")),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        token=token,
        cert_file=relative(user.get("client-certificate")),
        key_file=relative(user.get("client-key")),
        cert_data=_decoded(user.get("client-certificate-data")),
        key_data=_decoded(user.get("client-key-data")),
        username=user.get("username"),
        password=user.get("password"),
        source="%s (context %s)" % (path, name),
    )


def _named(config, section, name, path):
    for entry in config.get(section) or []:
        if entry.get("name") == name:
            return entry
    raise ValidationError("kubeconfig: %s has no entry %r in %s" % (path, name, section))


def _decoded(value):
    return base64.b64decode(value) if value else None


def _read_text(path, field):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError as exc:
        raise ValidationError("kubeconfig: cannot read %s %s: %s" % (field, path, exc)) from exc


def _exec_token(spec):
    """Run a client.authentication.k8s.io exec plugin and return its token."""
    command = [spec.get("command", ""), *(spec.get("args") or [])]
    env = dict(os.environ)
    env.update({e["name"]: e["value"] for e in spec.get("env") or []})
    try:
        # The kubeconfig names the plugin to run, exactly as kubectl runs it.
        # The exec credential plugin runs on the controller (apply_wave), where there is no AnsibleModule.run_command.
        # pylint: disable-next=ansible-bad-function
        output = subprocess.run(command, env=env, check=True, capture_output=True, timeout=60).stdout  # noqa: S603
        token = json.loads(output.decode("utf-8")).get("status", {}).get("token")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise ValidationError("kubeconfig: the exec credential plugin %s failed: %s" % (command[0], exc)) from exc
    if not token:
        raise ValidationError("kubeconfig: the exec credential plugin %s returned no token" % command[0])
    return token


def _in_cluster(environ):
    host, port = environ["KUBERNETES_SERVICE_HOST"], environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:
        host = "[%s]" % host
    return Connection(
        server="https://%s:%s" % (host, port),
        ca_file=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"),
        token=_read_text(os.path.join(SERVICE_ACCOUNT_DIR, "token"), "service account token"),
        source="the pod's service account",
    )
