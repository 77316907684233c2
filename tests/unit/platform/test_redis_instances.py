"""Every Redis of the platform, rendered by Ansible from the roles' own templates (no cluster).

Issue 14, defects 5 and 6, and issue 21 item 3:
- Dify's Celery broker is a Redis of its own that never evicts (a queue that evicts loses tasks), the
  cache keeps evicting, and Langfuse's Redis never evicts either (langfuse.com/self-hosting/
  infrastructure/cache requires maxmemory-policy noeviction);
- the new instance gets its ServiceAccount and NetworkPolicies, and only Celery's clients reach it;
- no password reaches a process's command line, even after the kubelet expands $(VAR) references;
- every instance is rendered from the one Redis template.
"""


import pytest

from helpers import kubelet
from helpers.paths import REPO
from helpers.role_render import render_role_objects

DIGEST = "@sha256:" + "a" * 64
IMAGES = ("redis", "redis_exporter", "dify_api", "dify_web", "dify_sandbox", "dify_plugin_daemon", "ssrf_proxy",
          "langfuse", "langfuse_worker", "clickhouse", "seaweedfs")
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_registry": "harbor.example.test",
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "langfuse", "dify", "oauth2_proxy", "litellm"],
    "dify_platform_images": dict((name, "harbor.example.test/p/%s%s" % (name, DIGEST)) for name in IMAGES),
}


@pytest.fixture(scope="module")
def redis():
    return render_role_objects("redis", ("redis.yml.j2",), BASE)


@pytest.fixture(scope="module")
def langfuse():
    return render_role_objects("langfuse", ("redis.yml.j2",), BASE)


@pytest.fixture(scope="module")
def dify():
    return render_role_objects("dify", ("workloads.yml.j2",), BASE)


@pytest.fixture(scope="module")
def foundation():
    return render_role_objects("foundation", ("networkpolicies.yml.j2", "serviceaccounts.yml.j2"), BASE)


def redis_container(statefulset):
    [container] = [c for c in statefulset["spec"]["template"]["spec"]["containers"] if c["name"] == "redis"]
    return container


def option(container, name):
    args = container["args"]
    return args[args.index(name) + 1]


def env_of(container):
    return dict((item["name"], item) for item in container.get("env", []))


def kubelet_argv(container, secrets):
    """The argv the container runtime is given: command + args with $(VAR) expanded from the
    container's env, as the kubelet does (a secretKeyRef's value comes from ``secrets``)."""
    return kubelet.argv(container, kubelet.container_env(container, lambda name, key: secrets[(name, key)]))


def test_the_cache_evicts_and_the_broker_never_does(redis):
    assert sorted(name for (kind, name) in redis if kind == "StatefulSet") == ["redis", "redis-broker"]
    assert option(redis_container(redis[("StatefulSet", "redis")]), "--maxmemory-policy") == "allkeys-lru"
    assert option(redis_container(redis[("StatefulSet", "redis-broker")]), "--maxmemory-policy") == "noeviction"
    # The broker's policy is not a setting: a cache policy given for the cache leaves it alone.
    other = render_role_objects("redis", ("redis.yml.j2",), dict(BASE, redis_maxmemory_policy="allkeys-lfu"))
    assert option(redis_container(other[("StatefulSet", "redis")]), "--maxmemory-policy") == "allkeys-lfu"
    assert option(redis_container(other[("StatefulSet", "redis-broker")]), "--maxmemory-policy") == "noeviction"


def test_langfuse_redis_never_evicts(langfuse):
    assert option(redis_container(langfuse[("StatefulSet", "langfuse-redis")]), "--maxmemory-policy") == "noeviction"


def test_celery_uses_the_broker_and_the_cache_stays_the_cache(dify):
    for name in ("dify-api", "dify-worker", "dify-beat"):
        env = env_of(dify[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0])
        assert env["REDIS_HOST"]["value"] == "redis"
        assert env["CELERY_BROKER_URL"]["value"] == "redis://:$(DIFY_PLATFORM_BROKER_PASSWORD)@redis-broker:6379/0"
        assert env["DIFY_PLATFORM_BROKER_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "dify-platform-redis-broker", "key": "password"}
        names = list(env)
        assert names.index("DIFY_PLATFORM_BROKER_PASSWORD") < names.index("CELERY_BROKER_URL")  # $(VAR) needs it first


def test_the_broker_has_its_account_and_only_celery_reaches_it(foundation):
    assert ("ServiceAccount", "redis-broker") in foundation
    sources = sorted(rule["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                     for rule in foundation[("NetworkPolicy", "redis-broker-ingress")]["spec"]["ingress"])
    # Langfuse reaches the broker only in langfuse_redis_mode=platform (the default is its own Redis):
    # tests/connectivity derives the flows from the rendered objects and denies the rest.
    assert sources == ["dify-api", "dify-beat", "dify-worker"]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": 6379}]
               for rule in foundation[("NetworkPolicy", "redis-broker-ingress")]["spec"]["ingress"])
    for name in ("dify-api", "dify-worker", "dify-beat"):
        egress = foundation[("NetworkPolicy", name + "-egress")]["spec"]["egress"]
        assert {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "redis-broker"}}}],
                "ports": [{"protocol": "TCP", "port": 6379}]} in egress, name


def test_the_broker_pods_match_their_account_and_policies(redis):
    pod = redis[("StatefulSet", "redis-broker")]["spec"]["template"]
    assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == "redis-broker"
    assert pod["spec"]["serviceAccountName"] == "redis-broker"
    assert redis[("Service", "redis-broker")]["spec"]["selector"]["app.kubernetes.io/name"] == "redis-broker"


def test_no_password_on_any_command_line(redis, langfuse):
    secrets = {("dify-platform-redis", "password"): "CACHE-PASSWORD",
               ("dify-platform-redis-broker", "password"): "BROKER-PASSWORD",
               ("dify-platform-langfuse-redis", "password"): "LANGFUSE-PASSWORD"}
    statefulsets = [o for (kind, _unused), o in list(redis.items()) + list(langfuse.items()) if kind == "StatefulSet"]
    for statefulset in statefulsets:
        for container in statefulset["spec"]["template"]["spec"]["containers"]:
            argv = " ".join(kubelet_argv(container, secrets))
            assert "PASSWORD" not in argv.replace("REDIS_PASSWORD", ""), (statefulset["metadata"]["name"], argv)
            assert "--requirepass" not in argv
        container = redis_container(statefulset)
        # The password comes from the Secret, through the environment only, and is handed to
        # redis-server on its standard input: the last argument is "-".
        env = env_of(container)
        assert "secretKeyRef" in env["REDIS_PASSWORD"]["valueFrom"]
        assert container["command"][:2] == ["sh", "-c"]
        assert 'exec redis-server "$@" - <<EOF' in container["command"][2]
        assert 'requirepass "$password"' in container["command"][2]
    assert len(statefulsets) == 3


def test_restricted_v2_kept(redis, langfuse):
    for statefulset in [o for (kind, _unused), o in list(redis.items()) + list(langfuse.items()) if kind == "StatefulSet"]:
        pod = statefulset["spec"]["template"]["spec"]
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert "runAsUser" not in container["securityContext"]


def test_one_redis_template():
    homes = sorted(str(path.relative_to(REPO)) for path in REPO.glob("roles/*/templates/**/*.j2")
                   if "redis-server" in path.read_text())
    assert homes == ["roles/dify_platform/templates/platform/redis.j2"]
