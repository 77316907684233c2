#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/<namespace>/<name>:
# copy the files git knows (tracked, and untracked but not ignored) into such a
# tree in the cache and run every sanity test there, without any ignore file.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
tree=$cache/sanity/ansible_collections/airgap/dify_platform
core=$(sed -n 's/^ansible-core==//p' "$repo/requirements.txt")
venv=$cache/sanity-venv-$core

# ansible-test's own --venv mode bootstraps pip from a host that is not reachable
# here, so sanity runs in a dedicated virtualenv holding ansible-core and the
# pinned sanity requirements (kept apart from the main toolchain they would clash with).
if [ ! -x "$venv/bin/ansible-test" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "ansible-core==$core"
fi

if ls "$repo"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "error: tests/sanity/ignore-*.txt exists; fix the problems instead of ignoring them" >&2
  exit 1
fi

pip_version=$(sed -n "s/^ *pip='\\([0-9.]*\\)',$/\\1/p" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py)
bootstrap=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$bootstrap")"
cp "$repo/hack/get_pip_offline.py" "$bootstrap"

rm -rf "$tree"
mkdir -p "$tree"
# Files deleted in the work tree but still tracked are left out.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$tree")
# ansible-test lists the collection's files through git when it finds a repo.
(cd "$tree" && git init -q && git add -A >/dev/null)

cd "$tree"
exec "$venv/bin/ansible-test" sanity --local --requirements --python "${SANITY_PYTHON:-3.11}" --color no "$@"
