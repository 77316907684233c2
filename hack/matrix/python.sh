#!/usr/bin/env bash
# Print the path of a working Python interpreter of version $1 (3.11, 3.12, ...):
# pythonX.Y on PATH, else the newest pyenv build of it. A pyenv shim for a
# version that is installed but not selected fails, so each one is tried.
set -euo pipefail
version=${1:?usage: hack/matrix/python.sh 3.12}
candidates=()
if command -v "python$version" >/dev/null; then
  candidates+=("$(command -v "python$version")")
fi
while IFS= read -r dir; do
  candidates+=("$dir/bin/python$version")
done < <(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -mindepth 1 -maxdepth 1 -name "$version.*" 2>/dev/null | sort -V -r)
for python in "${candidates[@]}"; do
  if "$python" -c 'import sys, venv; sys.exit(0)' >/dev/null 2>&1; then
    echo "$python"
    exit 0
  fi
done
echo "error: no working Python $version (install it with pyenv: pyenv install $version)" >&2
exit 1
