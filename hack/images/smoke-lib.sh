# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts sourcing this
# What the smoke runs of an image built here on the PostgreSQL image built here share
# (smoke-keycloak-postgres.sh, smoke-litellm-postgres.sh). Source it, don't run it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$cache/images/containers.conf}
# As OpenShift's restricted-v2 runs a pod: an arbitrary UID with GID 0, read-only roots, no capabilities.
user=1000770000:0
restricted=(--user "$user" --read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges)

# local_ref RECIPE IMAGE: the local podman reference of IMAGE in RECIPE's build stamp.
local_ref() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"][sys.argv[2]]["local"])' "$cache/images/stamps/$1.json" "$2"; }

# start_postgres NAME IMAGE PORT...: the PostgreSQL image as container NAME, serving TCP on its
# loopback (postgres/smoke/serve-tcp.sh) with tmpfs data, restricted; returns once it is ready.
# The other containers join its network (--network container:NAME), so the PORTs published
# (on the host's loopback, to a free port: `podman port NAME PORT/tcp`) are theirs.
start_postgres() {
  local name=$1 image=$2 port publish=()
  shift 2
  for port in "$@"; do publish+=(-p "127.0.0.1::$port"); done
  podman run -d --name "$name" "${publish[@]}" "${restricted[@]}" \
    --tmpfs /tmp:rw,mode=1777 --tmpfs /var/lib/postgresql/data:rw,mode=1777 --tmpfs /var/run/postgresql:rw,mode=1777 \
    -v "$here/postgres/smoke/serve-tcp.sh:/smoke/serve-tcp.sh:ro" "$image" sh /smoke/serve-tcp.sh >/dev/null
  until podman exec "$name" pg_isready -q -h 127.0.0.1; do sleep 1; done
}
