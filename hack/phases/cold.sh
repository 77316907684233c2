#!/usr/bin/env bash
# hack/phases/cold.sh DIR PHASE...: the cold cost of PHASEs (`make test`'s phases, or any make
# target such as kind-image and images) as a fresh machine pays it, without touching the warm
# cache: a fresh clone of this checkout's HEAD in DIR/clone, run by hack/phases/run.sh with
# everything a run downloads or builds under DIR, which must not exist yet:
#   AIRGAP_CACHE=DIR/cache, Go's GOCACHE and GOMODCACHE in DIR/go (Go compiles from scratch),
#   HOME=DIR/home (pip's cache, ansible-test's venvs), podman's image store in DIR/containers
#   (CONTAINERS_STORAGE_CONF: the builds never see, nor prune, the shared store's images), and
#   TMPDIR=DIR/tmp (Go's work directories: a run stopped by the guard leaves none in /tmp).
# Prints the phase table (wall and CPU seconds, and the load average during each phase's run), and
# writes it with the load averages sampled every 20 s (DIR.report.load) to DIR.report (beside DIR,
# so it outlives it). BACKGROUND, EARLY, KEEP_GOING and PHASES_VENV reach run.sh when set (BACKGROUND= runs every phase one
# after another); a phase images/NAME builds one workload image. Run it under `nice -n 10` on a
# shared host. Stops the run when the disk's free space falls under
# COLD_MIN_FREE_GB (default 8), or the available memory under COLD_MIN_MEM_GB (default 4: DIR may
# be on a tmpfs such as /dev/shm when the disk is short). Then deletes DIR, unless COLD_KEEP=1.
# What stays shared with the host: Debian packages already installed, the Go toolchain, pyenv's
# Pythons, /opt/wheels (PIP_FIND_LINKS), the CA bundle variables: a CI runner's image provides them too.
set -uo pipefail
dir=${1:?usage: hack/phases/cold.sh DIR PHASE...}
shift
[ "$#" -gt 0 ] || { echo "usage: hack/phases/cold.sh DIR PHASE..." >&2; exit 2; }
[ ! -e "$dir" ] || { echo "error: $dir exists; a cold run starts from nothing" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd -P)
min_free=${COLD_MIN_FREE_GB:-8}
report=$dir.report
free_gb() { df -BG --output=avail / | tail -n 1 | tr -dc 0-9; }
# DIR may be a tmpfs (/dev/shm) when the disk is short: then the memory is the guard too.
min_mem=${COLD_MIN_MEM_GB:-4}
mem_gb() { awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo; }

mkdir -p "$dir"/{cache/phases,go,home,containers,tmp}
dir=$(cd "$dir" && pwd -P)
git clone -q "$repo" "$dir/clone" || exit 1
# run.sh marks a cache that began empty "fresh" (its first runs are cold figures); this one did.
echo fresh >"$dir/cache/phases/cache-state"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
  "$dir/containers/storage" "$dir/containers/run" >"$dir/containers/storage.conf"

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [ "${COLD_KEEP:-0}" = 1 ] && return
  # Layers may still be mounted by the store: let podman release them before deleting.
  CONTAINERS_STORAGE_CONF=$dir/containers/storage.conf podman rm -af >/dev/null 2>&1
  CONTAINERS_STORAGE_CONF=$dir/containers/storage.conf podman rmi -af >/dev/null 2>&1
  chmod -R u+w "$dir" 2>/dev/null  # Go's module cache is read-only
  rm -rf "$dir"
  echo "deleted $dir" >&2
}
trap cleanup EXIT

{
  echo "cold run of: $*"
  echo "commit: $(git -C "$dir/clone" log --oneline -1)"
  echo "started: $(date -u +%FT%TZ), free: $(free_gb) GB"
} >"$report"

# A clean environment: nothing from the warm cache's venv or tools on PATH.
# shellcheck disable=SC2016  # the inner shell expands "$1" and "$@", not this one
setsid env -i \
  HOME="$dir/home" USER="${USER:-root}" LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/go/bin:/root/.pyenv/shims:/root/.pyenv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}" \
  TMPDIR="$dir/tmp" AIRGAP_CACHE="$dir/cache" GOCACHE="$dir/go/cache" GOMODCACHE="$dir/go/mod" GOPATH="$dir/go/path" \
  GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
  CONTAINERS_STORAGE_CONF="$dir/containers/storage.conf" \
  PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-180}" PIP_CERT="${PIP_CERT:-}" PIP_FIND_LINKS="${PIP_FIND_LINKS:-}" \
  SSL_CERT_FILE="${SSL_CERT_FILE:-}" SSL_CERT_DIR="${SSL_CERT_DIR:-}" REQUESTS_CA_BUNDLE="${REQUESTS_CA_BUNDLE:-}" \
  CURL_CA_BUNDLE="${CURL_CA_BUNDLE:-}" NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-}" GIT_SSL_CAINFO="${GIT_SSL_CAINFO:-}" \
  ${BACKGROUND+"BACKGROUND=$BACKGROUND"} ${EARLY+"EARLY=$EARLY"} ${KEEP_GOING+"KEEP_GOING=$KEEP_GOING"} \
  ${PHASES_VENV+"PHASES_VENV=$PHASES_VENV"} \
  bash -c 'cd "$1/clone" && shift && exec hack/phases/run.sh "$@"' cold "$dir" "$@" &
run=$!

stopped=""
while kill -0 "$run" 2>/dev/null; do
  sleep 20
  echo "$(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg) free $(free_gb) GB mem $(mem_gb) GB" >>"$report.load"
  if [ "$(free_gb)" -lt "$min_free" ] || [ "$(mem_gb)" -lt "$min_mem" ]; then
    stopped="stopped: free disk under $min_free GB or available memory under $min_mem GB at $(date -u +%FT%TZ)"
    echo "$stopped" >&2
    kill -TERM -- "-$run" 2>/dev/null
    sleep 10
    kill -KILL -- "-$run" 2>/dev/null
  fi
done
wait "$run"
rc=$?

{
  echo "finished: $(date -u +%FT%TZ), exit $rc${stopped:+, $stopped}"
  awk '{ print $3 }' "$report.load" | sort -n | awk '{ v[NR] = $1; s += $1 } END {
    if (NR) printf "load average (1 min, sampled every 20 s): min %.2f, median %.2f, mean %.2f, max %.2f\n", v[1], v[int((NR + 1) / 2)], s / NR, v[NR] }'
  echo "lowest free disk: $(awk '{ print $7 }' "$report.load" | sort -n | head -n 1) GB"
  read -ra background <<<"${BACKGROUND-promtool cyclonus cluster-build}"
  AIRGAP_CACHE=$dir/cache python3 "$dir/clone/hack/phases/table.py" --load "$report.load" \
    venv "${background[@]}" "$@"
} >>"$report"
cat "$report"
exit "$rc"
