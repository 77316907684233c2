#!/usr/bin/env bash
# Install barman-cloud (barman[cloud] from PyPI, pinned in tests/harness/barman/requirements.txt)
# into its own virtualenv venv-barman-<hash> (where: below), the tools the Barman Cloud
# Plugin's sidecar runs (barman-cloud-backup, -wal-archive, -restore, -wal-restore). Skipped when
# the venv for these pins exists; prints the venv's bin directory on stdout either way.
# psycopg2 is built from source against Debian's libpq (libpq-dev, gcc), as the plugin's sidecar
# image does.
#
# The tools run as the PostgreSQL server's user (archive_command, restore_command), which cannot
# enter root's home: run as root, the venv goes to /var/cache/airgap-dify-platform (world-readable;
# AIRGAP_BARMAN_DIR overrides) and is built on Debian's /usr/bin/python3, not a Python under /root.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REQ=$REPO/tests/harness/barman/requirements.txt
AIRGAP_CACHE=${AIRGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/airgap-dify-platform}
if [[ $(id -u) == 0 ]]; then
  DIR=${AIRGAP_BARMAN_DIR:-/var/cache/airgap-dify-platform}
  DEFAULT_PY=/usr/bin/python3
else
  DIR=${AIRGAP_BARMAN_DIR:-$AIRGAP_CACHE}
  DEFAULT_PY=python3
fi
PY=${AIRGAP_BARMAN_PYTHON:-$DEFAULT_PY}
KEY=$( (cat "$REQ"; "$PY" --version) | sha256sum | cut -c1-12)
VENV=$DIR/venv-barman-$KEY
mkdir -p "$DIR"
chmod 0755 "$DIR"
exec 8>"$DIR/.venv-barman.lock"
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
