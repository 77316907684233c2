#!/usr/bin/env bash
# Which container engine kind runs on: docker where a Docker engine answers, podman otherwise.
# AIRGAP_KIND_PROVIDER=docker|podman decides (default auto); kind's own KIND_EXPERIMENTAL_PROVIDER
# is honoured when AIRGAP_KIND_PROVIDER is auto, and must agree with it otherwise.
#
# Sourced by lib.sh (kind_engine); run on its own it prints the engine it would choose.
# kind_engine_choose is the pure decision (tests/unit/kind); kind_docker_server the probe.

# kind's docker provider through podman's Docker-compatible API fails on a host with hybrid
# cgroups (the node gets no private cgroup namespace and kubelet exits: docs/kind.md), so a docker
# CLI whose server is podman counts as podman, as does a docker CLI that reaches no daemon.

# kind_docker_server: the server line of `docker version` ("<version> <component names>"), or
# nothing when there is no docker CLI or its daemon does not answer (within 20 s).
kind_docker_server() {
  command -v docker >/dev/null 2>&1 || return 0
  timeout 20 docker version --format '{{.Server.Version}} {{range .Server.Components}}{{.Name}} {{end}}' \
    2>/dev/null || true
}

# kind_engine_choose AIRGAP_KIND_PROVIDER KIND_EXPERIMENTAL_PROVIDER DOCKER_SERVER
# Prints docker or podman. Returns 2, with the reason on stderr, for a value it does not know or
# two settings that disagree.
kind_engine_choose() {
  local request=${1:-auto} kind_var=${2:-} server=${3:-}
  case $request in
    auto | docker | podman) ;;
    *)
      printf 'AIRGAP_KIND_PROVIDER=%s: only auto, docker or podman\n' "$request" >&2
      return 2
      ;;
  esac
  case $kind_var in
    '' | docker | podman) ;;
    *)
      printf 'KIND_EXPERIMENTAL_PROVIDER=%s: only docker or podman\n' "$kind_var" >&2
      return 2
      ;;
  esac
  if [[ $request != auto ]]; then
    if [[ -n $kind_var && $kind_var != "$request" ]]; then
      printf 'AIRGAP_KIND_PROVIDER=%s but KIND_EXPERIMENTAL_PROVIDER=%s: set one, or both alike\n' \
        "$request" "$kind_var" >&2
      return 2
    fi
    printf '%s\n' "$request"
  elif [[ -n $kind_var ]]; then
    printf '%s\n' "$kind_var"
  elif [[ $server == [0-9]* && ${server,,} != *podman* ]]; then
    # A version first: the daemon answered. Podman's API names itself "Podman Engine".
    printf 'docker\n'
  else
    printf 'podman\n'
  fi
}

# kind_engine_resolve: the choice for this environment (probes docker only when it decides).
kind_engine_resolve() {
  local request=${AIRGAP_KIND_PROVIDER:-auto} kind_var=${KIND_EXPERIMENTAL_PROVIDER:-} server=
  [[ $request != auto || -n $kind_var ]] || server=$(kind_docker_server)
  kind_engine_choose "$request" "$kind_var" "$server"
}

# Run, not sourced (`return` works only in a sourced file or a function).
if ! (return 0 2>/dev/null); then
  set -euo pipefail
  kind_engine_resolve
fi
