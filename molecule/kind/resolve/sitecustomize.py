"""Host names of the kind scenario's test router, for the Python processes of molecule's run only.

molecule.yml puts this directory on PYTHONPATH, so every Python process of the run (ansible-playbook,
the modules it runs on this host) imports it at start. AIRGAP_TEST_HOSTS="name=address,..." maps the
Route hosts (keycloak.<domain>, ...) to the host address kind maps to the router's NodePorts
(hack/kind/up.sh AIRGAP_KIND_INGRESS_ADDRESS): the keycloak wave's module then reaches the Keycloak
pod at the same URL, and so with the same issuer, as the pods do through CoreDNS. The machine's
/etc/hosts and DNS are never changed; without the variable nothing is patched. The browser tier does
the same with a private /etc/hosts in a mount namespace (tests/browser/kind/hosts), which cannot wrap
molecule: podman's mounts of the node containers it creates would stay in that namespace.
"""

import os
import socket

_HOSTS = dict(
    entry.strip().split("=", 1)
    for entry in os.environ.get("AIRGAP_TEST_HOSTS", "").split(",")
    if "=" in entry
)

if _HOSTS:
    _getaddrinfo = socket.getaddrinfo

    def _mapped_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        return _getaddrinfo(_HOSTS.get(name, host), *args, **kwargs)

    socket.getaddrinfo = _mapped_getaddrinfo
