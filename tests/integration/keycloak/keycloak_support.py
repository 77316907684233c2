"""Shared helpers of the Keycloak integration tests: one server and one proxy per process.

The test modules wrap :func:`server` and :func:`proxy` in their own fixtures;
both are process-wide singletons, so Keycloak starts once per pytest run
whichever module asks first.
"""

import threading
import urllib.parse

from keycloak_faultproxy import FaultProxy
from keycloak_server import get_server

from helpers.playbook import run_tasks

GROUP = "group/airgap.dify_platform.keycloak"
_PROXY = None
_LOCK = threading.Lock()


def server():
    return get_server()


def server_without_realm(realm):
    """The body of a module-scoped fixture: the real Keycloak, with ``realm`` deleted
    before the module's tests and again after them."""
    kc = get_server()
    delete_realm(kc, realm)
    yield kc
    delete_realm(kc, realm)


def proxy():
    global _PROXY  # pylint: disable=global-statement
    with _LOCK:
        if _PROXY is None:
            _PROXY = FaultProxy(get_server().url)
        _PROXY.reset()
        return _PROXY


def merged(base, **changes):
    """A copy of ``base`` with ``changes`` on top."""
    result = dict(base)
    result.update(changes)
    return result


def connection(url, kc, **extra):
    """Connection options for the modules: through ``url`` (the proxy or the server), fast retries."""
    options = {
        "auth_keycloak_url": url,
        "auth_username": kc.username,
        "auth_password": kc.password,
        "retry_backoff": 0.1,
        "timeout": 20,
    }
    options.update(extra)
    return options


def run(kc, url, tasks, check=False, diff=True, extra_env=None, **conn):
    """Run tasks with the connection set once through the action group, as users do."""
    return run_tasks(tasks, check=check, diff=diff, extra_env=extra_env,
                     module_defaults={GROUP: connection(url, kc, **conn)})


def _task(module, task_name, check_mode, no_log, register, options):
    task = {"name": task_name, "airgap.dify_platform." + module: options, "register": register}
    if check_mode is not None:
        task["check_mode"] = check_mode
    if no_log is not None:
        task["no_log"] = no_log
    return task


def realm_task(task_name, check_mode=None, no_log=None, **options):
    return _task("keycloak_realm", task_name, check_mode, no_log, "result", options)


def client_task(task_name, check_mode=None, no_log=None, register="result", **options):
    return _task("keycloak_client", task_name, check_mode, no_log, register, options)


def realm_clients_task(task_name, check_mode=None, no_log=None, register="result", **options):
    return _task("keycloak_realm_clients", task_name, check_mode, no_log, register, options)


def ok(run_result, name):
    """The result of task ``name``, which must have succeeded."""
    result = run_result.result(name)
    assert not result.get("failed"), "%s failed: %s\n%s" % (name, result.get("msg"), run_result.stderr[-2000:])
    return result


def ensure_realm(kc, name):
    """Create a realm directly through the API (test setup, not the module under test)."""
    if kc.realm(name) is None:
        status, body = kc.api("POST", "/admin/realms", {"realm": name, "enabled": True})
        assert status == 201, (status, body)


def delete_realm(kc, name):
    kc.api("DELETE", "/admin/realms/%s" % urllib.parse.quote(name, safe=""))
