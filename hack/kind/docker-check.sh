#!/usr/bin/env bash
# The docker path of hack/kind, end to end, on a host with no Docker engine of its own
# (docs/kind.md "The docker path"): a private dockerd (dockerd-here.sh), the node image built with
# docker, a cluster from kind's docker provider, the NetworkPolicy probe, the delete, and a check
# that nothing is left behind (node containers, volumes, the cluster's network); then dockerd stops.
# Its own cluster and network (AIRGAP_KIND_CLUSTER, default airgap-docker): kind names the docker
# network's IPv6 subnet after the network, and podman's `kind` network here already has the one
# docker's `kind` would get.
# KIND_DOCKER_CHECK_WAVES=1 converges foundation and redis on it as well (waves.sh, twice: the second
# must change nothing). KIND_DOCKER_CHECK_KEEP=1 keeps the cluster and dockerd running (to converge waves on it) and
# prints the variables to use it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export AIRGAP_KIND_CLUSTER=${AIRGAP_KIND_CLUSTER:-airgap-docker}
export KIND_EXPERIMENTAL_DOCKER_NETWORK=${KIND_EXPERIMENTAL_DOCKER_NETWORK:-$AIRGAP_KIND_CLUSTER}
export AIRGAP_KIND_PROVIDER=docker
unset KIND_EXPERIMENTAL_PROVIDER
source "$HERE/lib.sh"

eval "$("$HERE/dockerd-here.sh" start | grep '^DOCKER_HOST=')"
export DOCKER_HOST
network=$KIND_EXPERIMENTAL_DOCKER_NETWORK
step() {
  local what=$1 start=$SECONDS
  shift
  "$@"
  log "docker check: $what in $((SECONDS - start))s"
}
volumes_before=$(docker volume ls -q | sort)

step "node image" "$HERE/node-image.sh" >/dev/null
step "cluster up" "$HERE/up.sh" >/dev/null
step "NetworkPolicy probe" "$HERE/netpol-probe.sh"
# KIND_DOCKER_CHECK_WAVES=1: foundation and redis on real pods too (waves.sh; the stand-in must run).
[[ ${KIND_DOCKER_CHECK_WAVES:-0} != 1 ]] || step "waves" "$HERE/waves.sh"
if [[ ${KIND_DOCKER_CHECK_KEEP:-0} == 1 ]]; then
  log "docker check: kept; to use it:"
  printf 'export DOCKER_HOST=%s AIRGAP_KIND_PROVIDER=docker AIRGAP_KIND_CLUSTER=%s KIND_EXPERIMENTAL_DOCKER_NETWORK=%s\n' \
    "$DOCKER_HOST" "$AIRGAP_KIND_CLUSTER" "$network"
  printf 'export KUBECONFIG=%s\n' "$KIND_KUBECONFIG"
  exit 0
fi
step "cluster down" "$HERE/down.sh" >/dev/null

left=$(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$AIRGAP_KIND_CLUSTER")
new_volumes=$(comm -13 <(printf '%s\n' "$volumes_before") <(docker volume ls -q | sort) | tr '\n' ' ')
nets=$(docker network ls -q --filter "name=^${network}\$")
[[ -z "$left$new_volumes$nets" ]] ||
  die "docker check: left behind: containers [$left] volumes [$new_volumes] network [$nets]"
log "docker check: nothing left behind (no node container, no new volume, no network $network)"
"$HERE/dockerd-here.sh" stop
