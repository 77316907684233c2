#!/bin/sh
# LiteLLM for the image: litellm[proxy] from PyPI into /app/.venv (upstream's path), Prisma's
# CLI and WebAssembly query engine from npm, the test harness's query-engine adapter in place of
# Prisma's native engines, the client generated for them, the admin UI laid out as upstream's
# Dockerfile.non_root does, and the `prisma` shim for the schema step (prisma-shim.py).
#
# The pins are the harness's own files (harness/ holds symlinks to tests/harness/litellm, so
# the recipe's hash follows them), plus requirements-image.txt. Downloads are cached in $INPUTS,
# keyed by the hash of the pins and the image's Python version:
#   wheels-<key>/  pip download on the host, for the image's CPython (binary wheels only);
#   node-<key>/    npm ci --ignore-scripts (@prisma/engines' postinstall would fetch native engines).
# The venv is then installed in the root with the image's own python3, offline from those wheels.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
harness=$here/harness
app=/app
node_dir=$app/.cache/prisma-python/binaries
engine_dir=$app/prisma-wasm

# The JVM-style /proc need: pip and node read /proc/self; mount it if mmdebstrap has not.
if ! mountpoint -q "$root/proc"; then
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc"' EXIT
fi
in_root() { chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root LC_ALL=C.UTF-8 \
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" "$@"; }

pyver=$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pytag=$(echo "$pyver" | tr -d .)
key=$(cat "$harness/requirements.txt" "$harness/constraints.txt" "$here/requirements-image.txt" \
  "$harness/package.json" "$harness/package-lock.json" | { cat; echo "cp$pytag"; } | sha256sum | cut -c1-12)
wheels=$INPUTS/wheels-$key
nodemods=$INPUTS/node-$key

# The host's CA bundle (a TLS-inspecting proxy's CA may only be there), for pip and npm.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

if [ ! -f "$wheels/.complete" ]; then
  rm -rf "$wheels" && mkdir -p "$wheels"
  # manylinux tags up to glibc 2.41 (trixie), abi3 and pure wheels; never an sdist.
  plats=""
  for v in 5 12 17 24 27 28 31 34 35 36 38 39 41; do plats="$plats --platform manylinux_2_${v}_x86_64"; done
  # shellcheck disable=SC2086
  python3 -m pip download --disable-pip-version-check -q --only-binary=:all: \
    --python-version "$pyver" --implementation cp --abi "cp$pytag" --abi abi3 --abi none \
    $plats --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform any \
    -r "$harness/requirements.txt" -r "$here/requirements-image.txt" -c "$harness/constraints.txt" -d "$wheels"
  touch "$wheels/.complete"
fi
if [ ! -f "$nodemods/.complete" ]; then
  rm -rf "$nodemods" && mkdir -p "$nodemods"
  cp "$harness/package.json" "$harness/package-lock.json" "$nodemods/"
  (cd "$nodemods" && HOME="$nodemods/.home" npm_config_cache="$nodemods/.npm" \
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  rm -rf "$nodemods/.npm" "$nodemods/.home"
  touch "$nodemods/.complete"
fi

# The venv, offline, with the image's python3.
mkdir -p "$root/tmp/wheels" "$root/tmp/pins"
cp "$wheels"/*.whl "$root/tmp/wheels/"
cp "$harness/requirements.txt" "$harness/constraints.txt" "$here/requirements-image.txt" "$root/tmp/pins/"
in_root python3 -m venv "$app/.venv"
in_root "$app/.venv/bin/pip" install --disable-pip-version-check -q --no-index --find-links /tmp/wheels \
  -r /tmp/pins/requirements.txt -r /tmp/pins/requirements-image.txt -c /tmp/pins/constraints.txt
in_root "$app/.venv/bin/pip" uninstall --disable-pip-version-check -q -y pip
rm -rf "$root/tmp/wheels" "$root/tmp/pins"

# Prisma's CLI and wasm engine where PRISMA_BINARY_CACHE_DIR points, the adapter beside them.
mkdir -p "$root$node_dir" "$root$engine_dir"
cp -a "$nodemods/node_modules" "$nodemods/package.json" "$nodemods/package-lock.json" "$root$node_dir/"
install -m 0755 "$harness/query-engine" "$root$engine_dir/query-engine"
install -m 0644 "$harness/query-engine-adapter.mjs" "$root$engine_dir/query-engine-adapter.mjs"
# The shim runs on the image's venv Python (the source file has no shebang: it is no program here).
mkdir -p "$root$app/airgap/bin"
{ echo "#!$app/.venv/bin/python"; cat "$here/prisma-shim.py"; } > "$root$app/airgap/bin/prisma"
chmod 0755 "$root$app/airgap/bin/prisma"

# prisma generate for LiteLLM's schema, with the image's paths (the generated client embeds the
# engine's path), as tests/harness/litellm/litellm_harness.py prisma_env() does.
site=$(in_root "$app/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
commit=$(sed -n 's/.*"@prisma\/query-engine-wasm": *"[^"]*\.\([0-9a-f]\{40\}\)".*/\1/p' "$harness/package.json")
cli=$(sed -n 's/.*"prisma": *"\([0-9.]*\)".*/\1/p' "$harness/package.json")
chroot "$root" env -i PATH="$app/.venv/bin:/usr/bin:/bin" HOME=/root LC_ALL=C.UTF-8 \
  LITELLM_HARNESS_NODE_DIR="$node_dir" PRISMA_QUERY_ENGINE_BINARY="$engine_dir/query-engine" \
  PRISMA_SCHEMA_ENGINE_BINARY="$engine_dir/query-engine" PRISMA_VERSION="$cli" \
  PRISMA_EXPECTED_ENGINE_VERSION="$commit" PRISMA_BINARY_CACHE_DIR="$node_dir" \
  PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 \
  sh -c "cd /tmp && $app/.venv/bin/prisma generate --schema $site/litellm/proxy/schema.prisma"
rm -rf "$root/root/.cache" "$root/root/.npm" "$root/tmp/"*

# The admin UI pre-built where LITELLM_NON_ROOT=true looks for it (upstream Dockerfile.non_root):
# extensionless routes restructured (foo.html -> foo/index.html) and the readiness marker.
mkdir -p "$root/var/lib/litellm/ui" "$root/var/lib/litellm/assets"
cp -r "$root$site/litellm/proxy/_experimental/out/." "$root/var/lib/litellm/ui/"
cp "$root$site/litellm/proxy/logo.jpg" "$root/var/lib/litellm/assets/logo.jpg"
(cd "$root/var/lib/litellm/ui" && for html in *.html; do
  if [ "$html" != index.html ] && [ -f "$html" ]; then mkdir -p "${html%.html}" && mv "$html" "${html%.html}/index.html"; fi
done && touch .litellm_ui_ready)

# Group 0 owns what upstream makes group-writable; nothing is written there under a read-only root.
chgrp -R 0 "$root$app" "$root/var/lib/litellm"
chmod -R g=u "$root$app" "$root/var/lib/litellm"
