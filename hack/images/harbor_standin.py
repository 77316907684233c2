#!/usr/bin/env python
"""The Harbor stand-in for the kind scenario (see docs/kind-images.md).

  harbor_standin.py up      start it (idempotent): distribution's registry, TLS from the test CA, the robot account
  harbor_standin.py push    up, then push every built image by digest; write images.json and the inventory files
  harbor_standin.py status  the registry address, the CA and the mapping file
  harbor_standin.py down    stop it (its storage stays in the cache)

Everything lives in <cache>/harbor-standin; the robot password is never printed.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from airgap_images import recipe as recipes
from airgap_images.builder import Builder
from airgap_images.harbor import DEFAULT_PORT, DEFAULT_PROJECT, Standin
from airgap_images.push import push_all


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "push", "status", "down"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("HARBOR_STANDIN_PORT", DEFAULT_PORT)))
    parser.add_argument("--project", default=os.environ.get("HARBOR_STANDIN_PROJECT", DEFAULT_PROJECT))
    args = parser.parse_args(argv)
    cache = Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")
    standin = Standin(cache, port=args.port, project=args.project)
    if args.action == "down":
        pid = standin.down()
        print("harbor stand-in %s" % ("stopped (pid %d)" % pid if pid else "was not running"))
        return 0
    if args.action == "status":
        pid = standin.running_pid()
        print(json.dumps({"running": bool(pid), "pid": pid, "registry": standin.registry_host,
                          "push": standin.push_host, "ca": str(standin.ca.cert_path),
                          "robot": standin.robot()["username"], "mapping": str(standin.dir / "images.json")}, indent=1))
        return 0 if pid else 1
    registry = standin.up()
    print("harbor stand-in up: %s (from the host: %s), CA %s, robot %s" % (
        standin.registry_host, standin.push_host, standin.ca.cert_path, standin.robot()["username"]))
    if args.action == "push":
        push_all(Builder(cache), standin, registry, recipes.names())
        print("mapping: %s" % (standin.dir / "images.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
