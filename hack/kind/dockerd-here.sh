#!/usr/bin/env bash
# A private Docker engine on a podman-only host, to test the kind scripts' docker path for real
# (docs/kind.md "The docker path"). Not needed where a Docker engine already runs.
#
#   dockerd-here.sh start    install Debian's docker.io if missing, start dockerd; prints DOCKER_HOST=...
#   dockerd-here.sh status   DOCKER_HOST=... and the engine's version, or exit 1
#   dockerd-here.sh stop     stop it (its images and volumes stay in the cache)
#
# The engine listens on its own socket, never /var/run/docker.sock: every script that looks for
# a Docker engine the usual way (hack/kind/engine.sh auto, hack/demo/mode.py, other users'
# `make kind-up`) keeps finding none, and keeps using podman. Only a shell that exports the
# printed DOCKER_HOST (or sets AIRGAP_KIND_PROVIDER=docker with it) sees this engine.
# Data in $AIRGAP_CACHE/kind/dockerd; the containerd dockerd starts is its own (exec root below),
# not the one of any kind node. dockerd writes its key to /etc/docker/key.json: stop removes it
# when start found none, as it removes the exec root, the docker0 bridge and dockerd's iptables
# rules for it (rule by rule).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=$KIND_CACHE/dockerd
RUN=/run/airgap-kind-dockerd
SOCK=$RUN/docker.sock
PIDFILE=$RUN/dockerd.pid
export DOCKER_HOST=unix://$SOCK

running_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n "$pid" && -d /proc/$pid && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] && printf '%s\n' "$pid"
}

# dockerd leaves its iptables rules behind when it stops: remove the ones it makes for docker0,
# and its chains, rule by rule (never a flush of a table or of a chain another program owns).
# Rules of a docker network still defined stay, and are counted.
drop_docker_rules() {
  local table rule chain left
  while read -r table rule; do
    # shellcheck disable=SC2086  # a rule is a list of words
    ! iptables -w -t "$table" -C $rule 2>/dev/null || iptables -w -t "$table" -D $rule
  done <<'RULES'
filter FORWARD -j DOCKER-USER
filter FORWARD -j DOCKER-ISOLATION-STAGE-1
filter FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
filter FORWARD -o docker0 -j DOCKER
filter FORWARD -i docker0 ! -o docker0 -j ACCEPT
filter FORWARD -i docker0 -o docker0 -j ACCEPT
filter DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
filter DOCKER-ISOLATION-STAGE-1 -j RETURN
filter DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
filter DOCKER-ISOLATION-STAGE-2 -j RETURN
filter DOCKER-USER -j RETURN
nat PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
nat OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
nat DOCKER -i docker0 -j RETURN
RULES
  for chain in DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER DOCKER; do
    iptables -w -X "$chain" 2>/dev/null || true
  done
  iptables -w -t nat -X DOCKER 2>/dev/null || true
  left=$({ iptables -w -S; iptables -w -t nat -S; } 2>/dev/null | grep -c DOCKER || true)
  [[ $left == 0 ]] || log "iptables: $left rules of dockerd remain (a docker network is still defined)"
}

case ${1:-} in
  start)
    if running_pid >/dev/null; then
      docker version --format '{{.Server.Version}}' >/dev/null || die "dockerd runs but does not answer on $SOCK"
      log "dockerd already running on $SOCK"
    else
      start=$SECONDS
      # ensure-packages.sh refreshes apt's lists twice a day; this host empties them after installs.
      if ! command -v dockerd >/dev/null && ! apt-cache show docker.io >/dev/null 2>&1; then apt-get update -qq; fi
      "$KIND_DIR/../ensure-packages.sh" dockerd=docker.io
      mkdir -p "$DIR/data" "$RUN"
      [[ -e /etc/docker/key.json ]] || touch "$DIR/key-json-is-ours"
      # The runtime dockerd runs: runc-bounded.py, with the python found now (dockerd's PATH may lack it).
      py=$(command -v python3 || command -v python) || die "python3 is needed for runc-bounded.py"
      printf '#!/bin/sh\nexec %s %s "$@"\n' "$py" "$KIND_DIR/runc-bounded.py" >"$DIR/runc-bounded"
      chmod 0755 "$DIR/runc-bounded"
      # setsid: the engine outlives this script and holds none of its file descriptors.
      # runc-bounded.py: this host's root lacks CAP_SYS_RESOURCE, and runc refuses to give a
      # --privileged container (kind's nodes) a capability outside the bounding set.
      setsid dockerd --host "$DOCKER_HOST" --pidfile "$PIDFILE" --exec-root "$RUN/exec" \
        --data-root "$DIR/data" --add-runtime "airgap-runc=$DIR/runc-bounded" \
        --default-runtime airgap-runc >>"$DIR/dockerd.log" 2>&1 </dev/null 9>&- &
      for _ in $(seq 60); do
        docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
        sleep 0.5
      done
      docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
        die "dockerd did not answer on $SOCK; see $DIR/dockerd.log"
      log "dockerd $(docker version --format '{{.Server.Version}}') up on $SOCK in $((SECONDS - start))s (log $DIR/dockerd.log)"
    fi
    echo "DOCKER_HOST=$DOCKER_HOST"
    ;;
  status)
    running_pid >/dev/null || { log "dockerd is not running"; exit 1; }
    echo "DOCKER_HOST=$DOCKER_HOST"
    docker version --format 'server {{.Server.Version}}'
    ;;
  stop)
    if pid=$(running_pid); then
      kill "$pid"
      for _ in $(seq 60); do [[ -d /proc/$pid ]] || break; sleep 0.5; done
      [[ ! -d /proc/$pid ]] || die "dockerd (pid $pid) did not stop"
      # Its default bridge, made at start (kind uses a network of its own): this host had none.
      ! ip link show docker0 >/dev/null 2>&1 || ip link delete docker0
      drop_docker_rules
      rmdir /var/run/docker/plugins /var/run/docker 2>/dev/null || true
      rm -rf "$RUN"
      if [[ -e "$DIR/key-json-is-ours" ]]; then rm -f /etc/docker/key.json "$DIR/key-json-is-ours"; fi
      log "dockerd stopped (pid $pid)"
    else
      log "dockerd was not running"
    fi
    ;;
  *) die "usage: dockerd-here.sh start|status|stop" ;;
esac
