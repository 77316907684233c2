"""Fixtures and helpers of the LiteLLM integration tests: one real proxy on a real PostgreSQL per pytest run.

The stack (tests/harness/litellm) is built and started on first use and stopped
at exit; the fault proxy sits in front of it for every test. Tests give their
keys, users and teams unique names (``uid``) and prune only in a scope of their
own, so they share the proxy without seeing each other. Test modules import the
fixtures by name (there is no conftest.py here: tests/helpers imports the root one).
"""

import uuid

import pytest

from harness.litellm.faultproxy import FaultProxy
from harness.litellm.litellm_harness import get_stack
from helpers.playbook import run_tasks

MASK = "********"


@pytest.fixture(scope="session")
def litellm():
    return get_stack()


@pytest.fixture(scope="session")
def _fault_proxy(litellm):
    proxy = FaultProxy(litellm.url)
    yield proxy
    proxy.close()


@pytest.fixture
def fault(_fault_proxy):
    """The fault proxy, with no fault armed and an empty request log."""
    _fault_proxy.reset()
    yield _fault_proxy
    _fault_proxy.reset()


@pytest.fixture
def uid():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def run(litellm, fault):
    return Runner(litellm, fault)


class Runner:
    """Runs tasks with the connection taken from LITELLM_* environment variables (env_fallback)."""

    def __init__(self, stack, fault):
        self.stack = stack
        self.fault = fault

    def __call__(self, tasks, check=False, diff=True, via_fault_proxy=True, master_key=None):
        env = {
            "LITELLM_URL": self.fault.url if via_fault_proxy else self.stack.url,
            "LITELLM_MASTER_KEY": master_key or self.stack.master_key,
            "LITELLM_RETRY_BACKOFF": "0.05",
            "LITELLM_TIMEOUT": "120",
        }
        return run_tasks(tasks, check=check, diff=diff, extra_env=env)


def ok(run_result, name):
    """The result of task ``name``, which must have succeeded."""
    result = run_result.result(name)
    assert not result.get("failed"), "%s failed: %s\n%s" % (name, result.get("msg"), run_result.stderr[-2000:])
    return result


def failed(run_result, name):
    result = run_result.result(name)
    assert result.get("failed"), "%s should have failed: %s" % (name, result)
    return result


def key_pages(stack):
    """How many pages of 100 the proxy's key list has now (the proxy is shared by the tests)."""
    status, body = stack.api("GET", "/key/list?size=1")
    assert status == 200, body
    return max(1, -(-body["total_count"] // 100))
