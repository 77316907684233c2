#!/usr/bin/env python
"""runc, with every capability the caller's bounding set lacks removed from the container's spec.

Only for hack/kind/dockerd-here.sh, the private Docker engine that tests the docker path on a
host whose root shell lacks CAP_SYS_RESOURCE. Docker's --privileged (kind's node containers)
asks for every capability the kernel knows, and runc then fails:
  "runc create failed: unable to start container process: unable to apply caps: operation not permitted"
podman caps --privileged at the bounding set itself; this gives dockerd the same behaviour.
A host whose root has the full bounding set (any ordinary Docker host) does not need it.

runc's arguments are passed through unchanged; for `create`/`run` the bundle's config.json,
and for `exec` the --process file, are rewritten first (OCI runtime spec, process.capabilities).
"""

import json
import os
import sys

RUNC = os.environ.get("AIRGAP_RUNC", "/usr/sbin/runc")
# linux/capability.h, 0..40 (CAP_CHECKPOINT_RESTORE, Linux 5.9).
NAMES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE).split(",
)


def missing_capabilities(status_text):
    """The CAP_* names of the capabilities absent from the CapBnd line of /proc/<pid>/status."""
    for line in status_text.splitlines():
        if line.startswith("CapBnd:"):
            bounding = int(line.split()[1], 16)
            return {"CAP_" + name for bit, name in enumerate(NAMES) if not bounding >> bit & 1}
    return set()


def bound(process, missing):
    """Drop the missing capabilities from every set of an OCI process; True when one changed."""
    changed = False
    caps = process.get("capabilities") or {}
    for key, values in caps.items():
        kept = [c for c in values or [] if c not in missing]
        if values and kept != values:
            caps[key] = kept
            changed = True
    return changed


def option(argv, *names):
    """The value of the first of names (``--name value`` or ``--name=value``) in argv, or None."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def rewrite(path, missing, key=None):
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    process = spec.get(key, {}) if key else spec
    if bound(process, missing):
        with open(path + ".bounded", "w", encoding="utf-8") as handle:
            json.dump(spec, handle)
        os.replace(path + ".bounded", path)


def main(argv):
    with open("/proc/self/status", encoding="utf-8") as handle:
        missing = missing_capabilities(handle.read())
    if missing:
        if "create" in argv or "run" in argv:
            bundle = option(argv, "--bundle", "-b") or "."
            rewrite(os.path.join(bundle, "config.json"), missing, key="process")
        elif "exec" in argv:
            process_file = option(argv, "--process", "-p")
            if process_file:
                rewrite(process_file, missing)
    os.execv(RUNC, [RUNC, *argv])  # noqa: S606 - the wrapper becomes runc, with its own arguments


if __name__ == "__main__":
    main(sys.argv[1:])
