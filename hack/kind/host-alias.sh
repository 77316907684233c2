#!/usr/bin/env bash
# docker only: make every node of the cluster resolve host.containers.internal to the host.
# That is the name podman writes into each container's /etc/hosts for the host, and the name the
# Harbor stand-in's certificate carries (hack/images/airgap_images/harbor.py), so the nodes'
# containerd pulls from https://host.containers.internal:5443 on either engine. Docker on Linux
# writes no such entry; the host is the node's default gateway (the bridge of the kind network).
# Docker rewrites /etc/hosts when a node container restarts, so up.sh runs this at every call.
# Idempotent; prints "<node> <address>" on stderr for each entry it writes. Nothing for podman.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ENGINE=$(kind_engine)
[[ $ENGINE == docker ]] || exit 0
export KIND_EXPERIMENTAL_PROVIDER=$ENGINE
alias_name=host.containers.internal

# Inside the node: the gateway, then the entry (rewritten in place: /etc/hosts is a bind mount).
# shellcheck disable=SC2016  # expanded inside the node
ensure='gw=$(ip -4 route show default | awk "{ print \$3; exit }")
[ -n "$gw" ] || { echo "no default route" >&2; exit 1; }
line="$gw $1"
grep -qxF "$line" /etc/hosts && exit 0
grep -v "[[:space:]]$1\$" /etc/hosts >/tmp/hosts.airgap || true
echo "$line" >>/tmp/hosts.airgap
cat /tmp/hosts.airgap >/etc/hosts
rm -f /tmp/hosts.airgap
echo "$gw"'
mapfile -t nodes < <(kind_cli get nodes --name "$KIND_CLUSTER_NAME")
((${#nodes[@]})) || die "no nodes in cluster $KIND_CLUSTER_NAME"
for node in "${nodes[@]}"; do
  written=$(docker exec "$node" sh -c "$ensure" sh "$alias_name") ||
    die "could not write $alias_name into $node:/etc/hosts"
  [[ -z "$written" ]] || log "$node: $alias_name is $written"
done
