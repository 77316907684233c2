#!/usr/bin/env bash
# Delete the kind cluster (idempotent) and check that it left nothing behind: no node containers,
# no volumes, and no `kind` network once no container uses it (kind itself keeps the network).
# Prints state=deleted|absent on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_engine

mkdir -p "$KIND_CACHE/$KIND_CLUSTER_NAME"
exec 9>"$KIND_CACHE/$KIND_CLUSTER_NAME/lock"
flock 9

start=$SECONDS
node_vols=()
state=absent
if kind_cluster_exists; then
  state=deleted
  # The nodes' volumes (/var), to check afterwards that kind removed them.
  mapfile -t nodes < <(kind_cli get nodes --name "$KIND_CLUSTER_NAME")
  if ((${#nodes[@]})); then
    read -ra node_vols <<<"$($ENGINE inspect --format \
      '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' "${nodes[@]}" | tr '\n' ' ')"
  fi
  kind_cli delete cluster --name "$KIND_CLUSTER_NAME" --kubeconfig "$KIND_KUBECONFIG"
fi
rm -f "$KIND_KUBECONFIG"
# The network kind created, once no container (another cluster, a registry) is attached to it.
network=$(kind_network)
if $ENGINE network inspect "$network" >/dev/null 2>&1; then
  users=$($ENGINE ps -a --filter "network=$network" --format '{{.Names}}')
  if [[ -z "$users" ]]; then
    $ENGINE network rm "$network" >/dev/null
  else
    log "network $network kept: still used by $(tr '\n' ' ' <<<"$users")"
  fi
fi

left=$($ENGINE ps -a --filter "label=io.x-k8s.kind.cluster=$KIND_CLUSTER_NAME" --format '{{.Names}}')
vols=
for v in "${node_vols[@]}"; do
  ! $ENGINE volume inspect "$v" >/dev/null 2>&1 || vols+="$v "
done
[[ -z "$left$vols" ]] || die "left behind: containers [$left] volumes [$vols]"
log "cluster $KIND_CLUSTER_NAME $state in $((SECONDS - start))s; nothing left behind"
echo "state=$state"
