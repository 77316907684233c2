#!/usr/bin/env python
"""Benchmark airgap.dify_platform.keycloak_client against community.general.keycloak_client.

Against a real Keycloak (started as the integration tests start it, or the one
named by KEYCLOAK_TEST_URL), ensure the same N confidential OIDC clients
(redirect URIs, web origins, post-logout URIs, PKCE, default scopes, a groups
mapper) three ways, each one ansible-playbook run with a loop:

1. ours, cold: the clients are created;
2. ours, no-op: nothing to do;
3. community.general.keycloak_client on the same clients (its first run, then
   its no-op run, since its first run may "update" what ours created).

The no-op runs are repeated (--repeat, alternating ours and theirs, to share
the machine's noise fairly) and the best of each is compared, by wall time and
by the CPU time of ansible-playbook and the modules (less sensitive to other
load on the machine; Keycloak's own CPU is not counted). Every request
goes through a recording proxy, so the requests per client are counted on the
wire, token requests separately. Results go to stdout and to
bench-results/keycloak-<timestamp>.json.

Usage: hack/bench/keycloak_bench.py [--clients 50] [--repeat 3]
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "integration" / "keycloak"))

# Importing conftest links the repo as ansible_collections/airgap/dify_platform in the cache.
import conftest  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position
from helpers.playbook import run_tasks  # noqa: E402  pylint: disable=wrong-import-position
from keycloak_faultproxy import FaultProxy  # noqa: E402  pylint: disable=wrong-import-position
from keycloak_server import KEYCLOAK_VERSION, get_server  # noqa: E402  pylint: disable=wrong-import-position

REALM = "bench"
SCOPES = ["basic", "profile", "email", "roles", "web-origins", "acr"]
GROUPS_CONFIG = {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                 "access.token.claim": "true", "userinfo.token.claim": "true",
                 "introspection.token.claim": "true"}


def urls(item):
    return {
        "redirect": ["https://app{{ %s }}.example.test/oauth2/callback" % item],
        "origin": ["https://app{{ %s }}.example.test" % item],
        "logout": "https://app{{ %s }}.example.test/" % item,
    }


def ours_task(count):
    u = urls("item")
    return {
        "name": "ours",
        "airgap.dify_platform.keycloak_client": {
            "realm": REALM,
            "client_id": "bench-{{ item }}",
            "public_client": False,
            "standard_flow": True,
            "direct_access_grants": False,
            "redirect_uris": u["redirect"],
            "web_origins": u["origin"],
            "post_logout_redirect_uris": [u["logout"]],
            "pkce": "S256",
            "default_client_scopes": SCOPES,
            "protocol_mappers": [{"name": "groups", "type": "groups"}],
        },
        "loop": "{{ range(%d) | list }}" % count,
        "no_log": True,
    }


def theirs_task(count):
    u = urls("item")
    return {
        "name": "theirs",
        "community.general.keycloak_client": {
            "realm": REALM,
            "client_id": "bench-{{ item }}",
            "public_client": False,
            "standard_flow_enabled": True,
            "direct_access_grants_enabled": False,
            "redirect_uris": u["redirect"],
            "web_origins": u["origin"],
            "attributes": {"post.logout.redirect.uris": u["logout"], "pkce.code.challenge.method": "S256"},
            "default_client_scopes": SCOPES,
            "protocol_mappers": [{"name": "groups", "protocol": "openid-connect",
                                  "protocolMapper": "oidc-group-membership-mapper", "config": GROUPS_CONFIG}],
        },
        "loop": "{{ range(%d) | list }}" % count,
        "no_log": True,
    }


def connection(kc, url, ours):
    options = {"auth_keycloak_url": url, "auth_realm": "master", "auth_username": kc.username,
               "auth_password": kc.password}
    if ours:
        return {"group/airgap.dify_platform.keycloak": options}
    return {"group/community.general.keycloak": options}


def measure(label, kc, proxy, task, count, ours):
    proxy.reset()
    cpu_before = _children_cpu()
    started = time.monotonic()
    run = run_tasks([task], module_defaults=connection(kc, proxy.url, ours))
    seconds = time.monotonic() - started
    cpu = _children_cpu() - cpu_before
    if run.returncode != 0:
        raise SystemExit("%s failed (rc %s):\n%s\n%s" % (label, run.returncode, run.stdout[-3000:], run.stderr[-3000:]))
    stats = run.stats
    records = proxy.requests()
    tokens = sum(1 for r in records if r.is_token_request)
    row = {
        "run": label,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "clients": count,
        "changed": stats.get("changed", 0) and _changed_items(run),
        "requests": len(records),
        "token_requests": tokens,
        "requests_per_client": round((len(records) - tokens) / float(count), 2),
        "token_requests_per_client": round(tokens / float(count), 2),
    }
    print("  %-22s %7.2f s wall %7.2f s cpu   changed %3d/%d   %5.2f requests/client + %.2f token" % (
        label, seconds, cpu, row["changed"], count, row["requests_per_client"], row["token_requests_per_client"]),
        flush=True)
    return row


def _children_cpu():
    """CPU seconds of every finished child: ansible-playbook, its workers and the modules (not Keycloak)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _changed_items(run):
    result = run.results[0]
    return sum(1 for item in result.get("results", []) if item.get("changed"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", "50")))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "3")))
    args = parser.parse_args()

    print("Keycloak %s: starting (or reusing KEYCLOAK_TEST_URL) ..." % KEYCLOAK_VERSION, flush=True)
    kc = get_server()
    if kc.started_in:
        print("  started in %.1f s with Java at %s" % (kc.started_in, kc.java_home), flush=True)
    proxy = FaultProxy(kc.url)
    kc.api("DELETE", "/admin/realms/%s" % REALM)
    status, body = kc.api("POST", "/admin/realms", {"realm": REALM, "enabled": True})
    if status != 201:
        raise SystemExit("cannot create realm %s: %s %s" % (REALM, status, body))

    n = args.clients
    print("Ensuring %d clients in realm %s (one ansible-playbook run each, loop over clients):" % (n, REALM))
    rows = [measure("ours cold (create)", kc, proxy, ours_task(n), n, True),
            measure("theirs first run", kc, proxy, theirs_task(n), n, False)]
    ours_noop, theirs_noop = [], []
    for _round in range(args.repeat):
        ours_noop.append(measure("ours no-op", kc, proxy, ours_task(n), n, True))
        theirs_noop.append(measure("theirs no-op", kc, proxy, theirs_task(n), n, False))
    rows.extend(ours_noop + theirs_noop)
    best_ours = min(ours_noop, key=lambda r: r["seconds"])
    best_theirs = min(theirs_noop, key=lambda r: r["seconds"])
    ratio = best_ours["seconds"] / best_theirs["seconds"]
    cpu_ours = min(r["cpu_seconds"] for r in ours_noop)
    cpu_theirs = min(r["cpu_seconds"] for r in theirs_noop)
    summary = {
        "keycloak": KEYCLOAK_VERSION,
        "clients": n,
        "ours_cold_seconds": rows[0]["seconds"],
        "ours_noop_seconds": best_ours["seconds"],
        "theirs_noop_seconds": best_theirs["seconds"],
        "noop_ratio_ours_over_theirs": round(ratio, 3),
        "ours_noop_cpu_seconds": cpu_ours,
        "theirs_noop_cpu_seconds": cpu_theirs,
        "noop_cpu_ratio_ours_over_theirs": round(cpu_ours / cpu_theirs, 3),
        "ours_noop_requests_per_client": best_ours["requests_per_client"],
        "ours_noop_token_requests_per_client": best_ours["token_requests_per_client"],
        "ours_noop_changed": max(r["changed"] for r in ours_noop),
        "theirs_noop_changed": max(r["changed"] for r in theirs_noop),
        "theirs_noop_requests_per_client": best_theirs["requests_per_client"],
        "runs": rows,
    }
    print("")
    print("Summary (%d clients, best of %d no-op runs each):" % (n, args.repeat))
    print("  ours cold (create):     %7.2f s" % summary["ours_cold_seconds"])
    print("  ours no-op:             %7.2f s  (%.2f s/client)" % (best_ours["seconds"], best_ours["seconds"] / n))
    print("  community.general:      %7.2f s  (%.2f s/client)" % (best_theirs["seconds"], best_theirs["seconds"] / n))
    print("  no-op ratio ours/theirs: %.3f wall, %.3f cpu (%.1f s vs %.1f s of controller and module CPU)" % (
        ratio, summary["noop_cpu_ratio_ours_over_theirs"], cpu_ours, cpu_theirs))
    print("  ours no-op requests/client: %.2f + %.2f token (target: <= 2 + token)" % (
        best_ours["requests_per_client"], best_ours["token_requests_per_client"]))
    print("  changed on no-op: ours %d, community.general %d" % (summary["ours_noop_changed"],
                                                                 summary["theirs_noop_changed"]))
    out_dir = REPO / "bench-results"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / ("keycloak-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print("  written to %s" % out.relative_to(REPO))
    kc.api("DELETE", "/admin/realms/%s" % REALM)
    proxy.close()
    failed = []
    if best_ours["requests_per_client"] > 2:
        failed.append("more than 2 requests per client on a no-op")
    if summary["ours_noop_changed"]:
        failed.append("our no-op run reported changes")
    if failed:
        raise SystemExit("benchmark target missed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
