#!/bin/sh
# The instance side of the Barman Cloud Plugin: the manager (tools/build-manager.sh, a link to
# the plugin recipe's, so both images run the same build) at /manager, and barman-cloud from
# PyPI in /venv with /venv/bin on PATH, as upstream's containers/Dockerfile.sidecar lays it out.
#
# The pins are the test harness's (harness/requirements.txt links to
# tests/harness/barman/requirements.txt, so the recipe's hash follows them). psycopg2 has no
# wheel on PyPI: it is built on the host against Debian's libpq, as upstream's sidecar builds it
# (libpq-dev, gcc); the image's suite is the host's (bookworm, CPython 3.11) so that the wheels
# the host builds are the image's. The wheels are cached in $INPUTS, keyed by the pins and the
# Python version, and installed offline into /venv with the image's own python3.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=$(cd "$INPUTS/../../../.." && pwd)
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
binary=$(AIRGAP_CACHE="$cache" VERSION="$VERSION" bash "$here/tools/build-manager.sh")
install -D -m 0755 "$binary" "$root/manager"

if ! mountpoint -q "$root/proc"; then
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc"' EXIT
fi
in_root() { chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C.UTF-8 \
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" "$@"; }
pyver=$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
hostver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$pyver" = "$hostver" ] || { echo "the image's Python $pyver is not the host's $hostver: the wheels would not fit" >&2; exit 1; }
key=$( { cat "$here/harness/requirements.txt"; echo "cp$pyver"; } | sha256sum | cut -c1-12)
wheels=$INPUTS/wheels-$key
if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels" && mkdir -p "$wheels"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && export PIP_CERT=/etc/ssl/certs/ca-certificates.crt
  /usr/bin/python3 -m pip wheel --disable-pip-version-check -q -w "$wheels" -r "$here/harness/requirements.txt"
  touch "$wheels/.complete"
fi
mkdir -p "$root/tmp/wheels"
cp "$wheels"/*.whl "$root/tmp/wheels/"
cp "$here/harness/requirements.txt" "$root/tmp/wheels/requirements.txt"
in_root python3 -m venv /venv
in_root /venv/bin/pip install --disable-pip-version-check -q --no-index --find-links /tmp/wheels \
  -r /tmp/wheels/requirements.txt
rm -rf "$root/tmp/wheels" "$root/root/.cache"
in_root /venv/bin/barman-cloud-backup --version
