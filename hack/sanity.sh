#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/<namespace>/<name>:
# copy the files git knows (tracked, and untracked but not ignored) into such a
# tree in the cache and run every sanity test there, without any ignore file.
# ANSIBLE_CORE (default: the pin of requirements.txt) and SANITY_PYTHON (default
# 3.11) choose the row: the ansible-core matrix (hack/matrix/run.sh) runs one per row.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
core=${ANSIBLE_CORE:-$(sed -n 's/^ansible-core==//p' "$repo/requirements.txt")}
python_version=${SANITY_PYTHON:-3.11}
# One tree per checkout, keyed by its path like the Makefile's collections path, and
# per run (the shell's PID), removed when the run ends: a second checkout, a matrix
# row or a second run in the same checkout never removes the tree a running
# ansible-test works in.
repo_key=$(printf '%s' "$repo" | sha256sum | cut -c1-12)
run_dir=$cache/sanity/$repo_key/run-$$
tree=$run_dir/ansible_collections/airgap/dify_platform
# The venv is keyed by a hash of its Python and ansible-core, and shared by the checkouts.
venv_key=$(printf 'python %s\nansible-core==%s\n' "$python_version" "$core" | sha256sum | cut -c1-12)
venv=$cache/sanity-venv-$venv_key

if ls "$repo"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "error: tests/sanity/ignore-*.txt exists; fix the problems instead of ignoring them" >&2
  exit 1
fi

# ansible-test's own --venv mode bootstraps pip from a host that is not reachable
# here, so sanity runs in a dedicated virtualenv holding ansible-core and the
# pinned sanity requirements (kept apart from the main toolchain they would clash with).
if [ ! -e "$venv/.installed" ]; then
  python=$("$repo/hack/matrix/python.sh" "$python_version")
  (
    flock 9  # two checkouts build it once, not at the same time
    if [ ! -e "$venv/.installed" ]; then
      rm -rf "$venv"
      "$python" -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$core"
      touch "$venv/.installed"
    fi
  ) 9>"$venv.lock"
fi

pip_version=$(sed -n "s/^ *pip='\\([0-9.]*\\)',$/\\1/p" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py)
bootstrap=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$bootstrap")"
# Written whole and then renamed: a run in another checkout may be reading it.
cp "$repo/hack/get_pip_offline.py" "$bootstrap.$$"
mv -f "$bootstrap.$$" "$bootstrap"

rm -rf "$run_dir"
trap 'rm -rf "$run_dir"' EXIT
mkdir -p "$tree"
# Files deleted in the work tree but still tracked are left out.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$tree")
# ansible-test lists the collection's files through git when it finds a repo.
(cd "$tree" && git init -q && git add -A >/dev/null)

cd "$tree"
export PATH=$venv/bin:$PATH
"$venv/bin/ansible-test" sanity --local --requirements --python "$python_version" --color no "$@"
