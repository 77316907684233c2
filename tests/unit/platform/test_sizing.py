"""Each sizing profile fits in the namespace quota it sets (issue 14, defect 7).

The foundation's ResourceQuota defaults to the profile's ``quota``. A rollout needs room
for one surge pod per rolling Deployment, and the migration Jobs run beside the
replicas; CloudNativePG's instances (postgres role) count too, with the LimitRange's
CPU limit where their resources set none. What is not rendered here (Keycloak's pods
and database when the operator runs them in this namespace) must fit in the rest,
hence a fifth of the quota kept free.
"""

import pytest
import yaml

from helpers.workloads import NAMESPACE, ROLES_DIR, SCENARIOS, containers, pod_template, quantity

HEADROOM = 0.8
KEYS = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods")


def read(role, kind):
    return yaml.safe_load((ROLES_DIR / role / kind / "main.yml").read_text())


def pod_totals(resources_list, limit_range):
    """requests/limits of one pod: its containers' sum, a missing limit taken from the LimitRange."""
    totals = dict.fromkeys(KEYS, 0.0)
    totals["pods"] = 1
    for resources in resources_list:
        for kind in ("requests", "limits"):
            for name in ("cpu", "memory"):
                value = (resources.get(kind) or {}).get(name)
                if value is None:
                    value = (limit_range["default"] if kind == "limits" else limit_range["defaultRequest"])[name]
                totals["%s.%s" % (kind, name)] += quantity(value)
    return totals


def add(total, pod, count):
    for key in KEYS:
        total[key] += pod[key] * count


def namespace_totals(objects, limit_range):
    """What the profile's pods in the platform namespace request and may use, during a rollout."""
    total = dict.fromkeys(KEYS, 0.0)
    for obj in objects:
        if obj["metadata"].get("namespace") != NAMESPACE:
            continue
        template = pod_template(obj)
        if template is not None:
            pod = pod_totals([c.get("resources") or {} for c in containers(template["spec"])], limit_range)
            count = int(obj["spec"].get("replicas", 1)) if obj["kind"] != "Job" else 1
            if obj["kind"] == "Deployment" and (obj["spec"].get("strategy") or {}).get("type") != "Recreate":
                count += int((obj["spec"].get("strategy") or {}).get("rollingUpdate", {}).get("maxSurge", 1))
            add(total, pod, count)
        elif obj["kind"] == "OpenTelemetryCollector":
            add(total, pod_totals([obj["spec"]["resources"]], limit_range), int(obj["spec"].get("replicas", 1)) + 1)
    postgres = read("postgres", "defaults")
    add(total, pod_totals([postgres["postgres_resources"]], limit_range), int(postgres["postgres_instances"]))
    return total


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_profile_fits_in_its_quota_with_room_to_spare(workloads, scenario):
    size = SCENARIOS[scenario]["dify_platform_size"]
    quota = read("dify_platform", "vars")["__dify_platform_sizes"][size]["quota"]
    limit_range = read("foundation", "defaults")["foundation_limit_range"]
    used = namespace_totals(workloads[scenario], limit_range)
    over = ["%s: %.1f of %s" % (key, used[key] / (2 ** 30 if "memory" in key else 1), quota[key])
            for key in KEYS if used[key] > HEADROOM * quantity(quota[key])]
    assert not over, "the %s profile needs more than %d%% of its quota: %s" % (size, HEADROOM * 100, "; ".join(over))


def test_the_foundation_quota_follows_the_profile():
    assert read("foundation", "defaults")["foundation_resource_quota"] == "{{ __dify_platform_sizing.quota }}"
