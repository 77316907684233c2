#!/bin/sh
# Open WebUI for the image: the open-webui wheel from PyPI at the manifest's version (it carries
# the pre-built SvelteKit front end in open_webui/frontend), installed with --no-deps into
# /app/.venv, and beside it requirements-image.txt: open-webui's own pinned dependencies minus
# the in-pod model runtimes (torch and its CUDA wheels, sentence-transformers, faster-whisper),
# plus its `postgres` extra. requirements-image.txt says what is left out and why.
#
# Downloads are cached in $INPUTS, keyed by the pins, the version and the image's Python:
#   wheels-<key>/  pip download on the host, for the image's CPython (binary wheels only).
# The venv is then installed in the root with the image's own python3, offline from those wheels.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
app=/app

# pip reads /proc/self; mount it if mmdebstrap has not.
if ! mountpoint -q "$root/proc"; then
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc"' EXIT
fi
in_root() { chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C.UTF-8 \
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" "$@"; }

pyver=$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pytag=$(echo "$pyver" | tr -d .)
key=$({ cat "$here/requirements-image.txt"; echo "open-webui==$VERSION_BARE cp$pytag"; } | sha256sum | cut -c1-12)
wheels=$INPUTS/wheels-$key

# The host's CA bundle (a TLS-inspecting proxy's CA may only be there), for pip.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export PIP_CERT=/etc/ssl/certs/ca-certificates.crt
fi

if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels" && mkdir -p "$wheels"
  # manylinux tags up to glibc 2.36 (bookworm), abi3 and pure wheels; never an sdist.
  plats=""
  for v in 5 12 17 24 27 28 31 34 35 36; do plats="$plats --platform manylinux_2_${v}_x86_64"; done
  # shellcheck disable=SC2086
  python3 -m pip download --disable-pip-version-check --no-cache-dir -q --only-binary=:all: \
    --python-version "$pyver" --implementation cp --abi "cp$pytag" --abi abi3 --abi none \
    $plats --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any \
    -r "$here/requirements-image.txt" -d "$wheels"
  python3 -m pip download --disable-pip-version-check --no-cache-dir -q --no-deps --only-binary=:all: \
    "open-webui==$VERSION_BARE" -d "$wheels"
  touch "$wheels/.complete"
fi

# The venv, offline, with the image's python3; open-webui itself without its dependencies (the
# ones left out are imported lazily, never at start-up with USE_SLIM_DOCKER=true).
mkdir -p "$root/tmp/wheels" "$root/tmp/pins"
cp "$wheels"/*.whl "$root/tmp/wheels/"
cp "$here/requirements-image.txt" "$root/tmp/pins/"
in_root python3 -m venv "$app/.venv"
in_root "$app/.venv/bin/pip" install --disable-pip-version-check --no-cache-dir -q --no-index \
  --find-links /tmp/wheels -r /tmp/pins/requirements-image.txt
in_root "$app/.venv/bin/pip" install --disable-pip-version-check --no-cache-dir -q --no-index --no-deps \
  "/tmp/wheels/open_webui-$VERSION_BARE-py3-none-any.whl"
# rapidocr (a pin above) requires opencv-python, whose cv2 links libGL and X11 (not in the image:
# "ImportError: libGL.so.1" on `import cv2`); it and opencv-python-headless (also pinned) install
# the same cv2 package, the last one winning. Keep only the headless build, which needs neither.
in_root "$app/.venv/bin/pip" uninstall --disable-pip-version-check -q -y opencv-python
in_root "$app/.venv/bin/pip" install --disable-pip-version-check --no-cache-dir -q --no-index --no-deps \
  --force-reinstall --find-links /tmp/wheels opencv-python-headless
in_root "$app/.venv/bin/python" -c 'import cv2'
in_root "$app/.venv/bin/pip" uninstall --disable-pip-version-check -q -y pip
# Only what this script put there: mmdebstrap keeps its apt configuration in $root/tmp until it
# ends (without it, its final apt-get clean works on the host's /var/cache/apt instead).
rm -rf "$root/tmp/wheels" "$root/tmp/pins" "$root/root/.cache"

# The data directory upstream uses (DATA_DIR=/app/backend/data); the role mounts its PVC there.
mkdir -p "$root$app/backend/data"
chgrp -R 0 "$root$app"
chmod -R g=u "$root$app"
