#!/usr/bin/env bash
# make cluster-down: stop every process `make demo` (and the test tiers after it) left running,
# each by the PID it recorded in the cache, and check that none is left:
#   the local control plane    kwokctl deletes it and stops its processes (hack/localcluster/down.sh)
#   the loopback Keycloak      its process group, the JVM included ($AIRGAP_CACHE/local-keycloak/pid)
#   the Harbor stand-in        its registry ($AIRGAP_CACHE/harbor-standin/registry.pid)
#   the kind cluster           the default one only (AIRGAP_KIND_CLUSTER, airgap-dify), with its containers
# Other kind clusters (their own AIRGAP_KIND_CLUSTER) are left alone. PYTHON: the venv's python.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
python=${PYTHON:-python3}
rc=0

hack/localcluster/down.sh || rc=1
"$python" hack/local_keycloak.py stop || rc=1
if [[ -s $cache/harbor-standin/registry.pid ]]; then
  "$python" hack/images/harbor_standin.py down || rc=1
fi
if [[ -x $cache/bin/kind ]] && { command -v podman || command -v docker; } >/dev/null 2>&1; then
  hack/kind/down.sh || rc=1
fi

# Nothing recorded may still run.
left=()
for pidfile in "$cache/local-keycloak/pid" "$cache/harbor-standin/registry.pid"; do
  [[ -s $pidfile ]] || continue
  pid=$(<"$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    left+=("$pid ($pidfile)")
  fi
done
if ((${#left[@]})); then
  printf 'error: still running: %s\n' "${left[@]}" >&2
  rc=1
fi
exit "$rc"
