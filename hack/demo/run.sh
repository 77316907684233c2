#!/usr/bin/env bash
# make demo: the platform running for real on kind where podman (or a Docker engine) works,
# the kwok local control plane where it does not, saying which and why (mode.py).
# AIRGAP_DEMO=kind|kwok forces one. A failure after the kind cluster is up (a wave, a probe)
# is a real failure and fails the demo; only a cluster that cannot be created falls back.
# Called by the Makefile, which puts the venv on PATH. (The recipe does not name $(MAKE), so
# `make -n demo` only prints it; DEMO_MAKE replaces make here, e.g. in a test.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
make_=${DEMO_MAKE:-make}
mode=$(python hack/demo/mode.py)
if [[ $mode == kind ]]; then
  if "$make_" --no-print-directory kind-up; then
    exec hack/demo/kind.sh
  fi
  if [[ ${AIRGAP_DEMO:-} == kind ]]; then
    echo "[demo] ERROR: AIRGAP_DEMO=kind, and the kind cluster could not be created (above)" >&2
    exit 1
  fi
  echo "[demo] the kind cluster could not be created (above): falling back to the kwok local control plane" >&2
fi
exec "$make_" --no-print-directory demo-kwok
