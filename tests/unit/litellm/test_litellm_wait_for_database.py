"""The LiteLLM pod waits for its database before the proxy starts.

LiteLLM gives up at its first database error at start ("Error in external connector", then
"Application startup failed", exit 3), and a new pod's first connections may be refused for a
second or two while the NetworkPolicy is applied to its address (kube-router on kind: molecule's
kind scenario saw a restart of every new LiteLLM pod). The init container connects to the
database's port until it answers, in the proxy's own image, restricted like the proxy.
"""

import socket
import subprocess
import sys
import threading

import pytest

from helpers.litellm_render import LITELLM_BASE
from helpers.role_render import render_role_objects

BASE = dict(LITELLM_BASE, litellm_db_host="pg-rw.ai.svc", litellm_db_port=6543)


@pytest.fixture(scope="module")
def pod():
    objects = render_role_objects("litellm", ("litellm.yml.j2",), BASE)
    return objects[("Deployment", "litellm")]["spec"]["template"]["spec"]


def test_an_init_container_in_the_proxy_image_waits_for_the_database_port(pod):
    [init] = pod["initContainers"]
    proxy = pod["containers"][0]
    assert init["name"] == "wait-for-database"
    assert init["image"] == proxy["image"] == BASE["dify_platform_images"]["litellm"]
    assert init["securityContext"] == proxy["securityContext"]
    assert init["resources"] == proxy["resources"]
    assert init["command"][:2] == ["python3", "-c"]
    assert init["command"][3:] == ["pg-rw.ai.svc", "6543"]


def test_the_wait_returns_only_once_the_port_answers(pod):
    """The rendered script, run here: it keeps trying while the port refuses, and ends once it answers."""
    script = pod["initContainers"][0]["command"][2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waiter = subprocess.Popen([sys.executable, "-c", script, "127.0.0.1", str(port)],
                              stdout=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=3)  # refused: still waiting
        server = socket.create_server(("127.0.0.1", port))

        def accept_one():
            server.accept()[0].close()

        accepted = threading.Thread(target=accept_one, daemon=True)
        accepted.start()
        assert waiter.wait(timeout=20) == 0
        assert "waiting for 127.0.0.1:%d" % port in waiter.stdout.read()
        server.close()
    finally:
        waiter.kill()
