"""Benchmark airgap.dify_platform.litellm_key_sync against a real LiteLLM proxy.

Starts the test harness's stack (tests/harness/litellm: PostgreSQL plus the
LiteLLM proxy, or the proxy named by LITELLM_TEST_URL) and syncs N users with
one key each (budget, budget duration, models, rpm limit, metadata), each run
one ansible-playbook task:

1. cold: every user and key is created;
2. no-op: nothing to do; the state is read with the paginated lists;
3. drift: the budget of 10 users' keys is changed by hand first; the sync must
   send exactly 10 updates.

Every request goes through a recording proxy, so requests are counted on the
wire. Results go to stdout and to bench-results/litellm-<timestamp>.json.

Usage: python hack/bench/litellm_bench.py [--users 1000] [--drift 10]  (or: make bench-litellm)
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

# conftest links the collection into the cache so that ansible_collections.airgap.dify_platform imports.
import conftest  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position
from harness.litellm.faultproxy import FaultProxy  # noqa: E402  pylint: disable=wrong-import-position
from harness.litellm.litellm_harness import get_stack  # noqa: E402  pylint: disable=wrong-import-position
from helpers.playbook import run_tasks  # noqa: E402  pylint: disable=wrong-import-position

NOOP_TARGET_SECONDS = 15.0


def declared(count):
    users = [{"user_id": "bench-u%04d" % i} for i in range(count)]
    keys = [{"key_alias": "bench-u%04d-key" % i, "user_id": "bench-u%04d" % i, "models": ["gpt-test", "embed-test"],
             "max_budget": 25, "budget_duration": "30d", "rpm_limit": 60, "metadata": {"source": "bench"}}
            for i in range(count)]
    return users, keys


def sync(stack, proxy, users, keys, label):
    """One ansible-playbook run of the sync; returns the figures of the run."""
    proxy.reset()
    task = {"name": label, "airgap.dify_platform.litellm_key_sync": {
        "users": users, "keys": keys, "scope": "bench", "prune": True}, "register": "result", "no_log": False}
    env = {"LITELLM_URL": proxy.url, "LITELLM_MASTER_KEY": stack.master_key, "LITELLM_TIMEOUT": "120"}
    started = time.monotonic()
    play = run_tasks([task], extra_env=env)
    seconds = time.monotonic() - started
    result = play.result(label)
    if result.get("failed") or play.returncode != 0:
        raise SystemExit("%s failed: %s\n%s" % (label, result.get("msg"), play.stderr[-3000:]))
    requests = proxy.requests()
    duration = play.data["plays"][0]["tasks"][0]["task"]["duration"]
    task_seconds = (datetime.fromisoformat(duration["end"].rstrip("Z"))
                    - datetime.fromisoformat(duration["start"].rstrip("Z"))).total_seconds()
    return {
        "seconds": round(seconds, 2),
        "task_seconds": round(task_seconds, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "requests": len(requests),
        "module_counted_requests": result["api_requests"],
        "writes": sum(1 for r in requests if r.method == "POST"),
        "changed": result["changed"],
        "summary": result["summary"],
        "updates": [a["id"] for a in result["actions"] if a["op"] == "update"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("LITELLM_BENCH_USERS", "1000")))
    parser.add_argument("--drift", type=int, default=10)
    args = parser.parse_args()

    started = time.monotonic()
    stack = get_stack()
    setup = time.monotonic() - started
    proxy = FaultProxy(stack.url)
    users, keys = declared(args.users)

    cold = sync(stack, proxy, users, keys, "cold")
    noop = sync(stack, proxy, users, keys, "no-op")

    drifted = [keys[i * (args.users // args.drift)]["key_alias"] for i in range(args.drift)]
    by_alias = dict((k["key_alias"], k) for k in stack.all_keys() if k.get("key_alias") in set(drifted))
    for alias in drifted:
        status, body = stack.api("POST", "/key/update", {"key": by_alias[alias]["token"], "max_budget": 99})
        if status != 200:
            raise SystemExit("could not make %s drift: %s %s" % (alias, status, body))
    drift = sync(stack, proxy, users, keys, "drift")
    after = sync(stack, proxy, users, keys, "after drift")

    report = {
        "users": args.users,
        "keys": args.users,
        "stack_setup_seconds": round(setup, 1),
        "stack_timings": dict((k, round(v, 1)) for k, v in stack.timings.items()),
        "cold": cold,
        "noop": noop,
        "drift": dict(drift, drifted=args.drift),
        "after_drift": after,
    }
    print("LiteLLM %s users with one key each (stack ready in %.1f s: %s)" % (
        args.users, setup, ", ".join("%s %.1f s" % kv for kv in report["stack_timings"].items())))
    print("  (seconds: the whole ansible-playbook run; in brackets the sync task alone; load: 1-min load average)")
    print("  cold:         %7.1f s (%6.1f s)  %5d requests (%d writes)  created %s  load %.1f" % (
        cold["seconds"], cold["task_seconds"], cold["requests"], cold["writes"], cold["summary"]["created"],
        cold["load_average"]))
    print("  no-op:        %7.1f s (%6.1f s)  %5d requests  changed=%s  load %.1f" % (
        noop["seconds"], noop["task_seconds"], noop["requests"], noop["changed"], noop["load_average"]))
    print("  %d drifted:   %7.1f s (%6.1f s)  %5d requests  %d updates  load %.1f" % (
        args.drift, drift["seconds"], drift["task_seconds"], drift["requests"], len(drift["updates"]),
        drift["load_average"]))
    print("  after drift:  %7.1f s (%6.1f s)  %5d requests  changed=%s  load %.1f" % (
        after["seconds"], after["task_seconds"], after["requests"], after["changed"], after["load_average"]))

    problems = []
    if noop["changed"] or noop["writes"]:
        problems.append("the no-op run changed something")
    if noop["seconds"] >= NOOP_TARGET_SECONDS:
        problems.append("the no-op run took %.1f s (target < %.0f s)" % (noop["seconds"], NOOP_TARGET_SECONDS))
    if sorted(drift["updates"]) != sorted(drifted) or drift["writes"] != args.drift:
        problems.append("expected exactly %d updates after the drift, got %s (%d writes)"
                        % (args.drift, len(drift["updates"]), drift["writes"]))
    if after["changed"]:
        problems.append("the run after the drift changed something")
    report["problems"] = problems

    out = REPO / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / ("litellm-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    path.write_text(json.dumps(report, indent=2) + "\n")
    print("  results: %s" % path.relative_to(REPO))
    for problem in problems:
        print("  FAIL: %s" % problem)
    proxy.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
