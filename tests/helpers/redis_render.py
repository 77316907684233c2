"""The Redis containers the redis and langfuse roles render (one shared template), by StatefulSet name."""

from helpers.role_render import render_role_objects

DIGEST = "@sha256:" + "a" * 64
BASE = {
    "dify_platform_namespace": "ai",
    "dify_platform_domain": "apps.example.test",
    "dify_platform_storage_class": "",
    "dify_platform_components": ["foundation", "redis", "langfuse", "dify"],
    "dify_platform_images": dict((name, "harbor.example.test/p/%s%s" % (name, DIGEST))
                                 for name in ("redis", "redis_exporter", "langfuse", "langfuse_worker", "clickhouse", "seaweedfs")),
}


def redis_containers():
    """{StatefulSet name: its `redis` container} of both roles' renderings."""
    objects = render_role_objects("redis", ("redis.yml.j2",), BASE)
    objects.update(render_role_objects("langfuse", ("redis.yml.j2",), BASE))
    found = {}
    for (kind, name), obj in objects.items():
        if kind == "StatefulSet":
            [container] = [c for c in obj["spec"]["template"]["spec"]["containers"] if c["name"] == "redis"]
            found[name] = container
    return found
