"""What the kubelet does to a container's env, command and args before the runtime sees them.

It expands ``$(NAME)`` from the container's env (earlier entries only, for env values), leaves an
undefined reference as it is, and turns ``$$`` into ``$``
(k8s.io/kubernetes third_party/forked/golang/expansion/expand.go).
"""

import re

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(value, env):
    """``value`` with each ``$(NAME)`` replaced by ``env[NAME]`` and ``$$`` by ``$``."""
    return _REFERENCE.sub(lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


def container_env(container, secret_value):
    """{name: value} of the container's env; a secretKeyRef's value is ``secret_value(name, key)``."""
    values = {}
    for item in container.get("env", []):
        ref = (item.get("valueFrom") or {}).get("secretKeyRef")
        values[item["name"]] = secret_value(ref["name"], ref["key"]) if ref else expand(item.get("value", ""), values)
    return values


def argv(container, env, args=None):
    """The command and args (or ``args`` in their place) the runtime is given."""
    return [expand(word, env) for word in container.get("command", []) + list(container.get("args", []) if args is None else args)]
