#!/usr/bin/env bash
# Install barman-cloud (barman[cloud] from PyPI, pinned in tests/harness/barman/requirements.txt)
# into its own virtualenv under $AIRGAP_CACHE/venv-barman-<hash>, the tools the Barman Cloud
# Plugin's sidecar runs (barman-cloud-backup, -wal-archive, -restore, -wal-restore). Skipped when
# the venv for these pins exists; prints the venv's bin directory on stdout either way.
# psycopg2 is built from source against Debian's libpq (libpq-dev, gcc), as the plugin's sidecar
# image does.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REQ=$REPO/tests/harness/barman/requirements.txt
AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
PY=${AIRGAP_BARMAN_PYTHON:-python3}
KEY=$( (cat "$REQ"; "$PY" --version) | sha256sum | cut -c1-12)
VENV=$AIRGAP_CACHE/venv-barman-$KEY
mkdir -p "$AIRGAP_CACHE"
exec 8>"$AIRGAP_CACHE/.venv-barman.lock"
flock 8
if [[ -x $VENV/bin/barman-cloud-backup && -f $VENV/.complete ]]; then
  echo "$VENV/bin"
  exit 0
fi
"$REPO/hack/ensure-packages.sh" pg_config=libpq-dev gcc=gcc
echo "[barman-cloud] installing $(grep -c '==' "$REQ") pins into $VENV" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ" >&2
"$VENV/bin/barman-cloud-backup" --version >&2
touch "$VENV/.complete"
echo "$VENV/bin"
