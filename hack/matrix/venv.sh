#!/usr/bin/env bash
# Print the path of the cached virtualenv for one row of the ansible-core matrix,
# creating it on first use: ansible-core==$1 on Python $2, with the pins of
# hack/matrix/requirements.txt. The path carries a hash of the Python version and
# every pin, as the Makefile's main venv does, so a changed pin makes a new venv.
set -euo pipefail
core=${1:?usage: hack/matrix/venv.sh ANSIBLE_CORE PYTHON}
python_version=${2:?usage: hack/matrix/venv.sh ANSIBLE_CORE PYTHON}
here=$(cd "$(dirname "$0")" && pwd)
cache=${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}
key=$({ echo "python $python_version"; echo "ansible-core==$core"; cat "$here/requirements.txt"; } | sha256sum | cut -c1-12)
venv=$cache/matrix/venv-$key
if [ ! -e "$venv/.installed" ]; then
  python=$("$here/python.sh" "$python_version")
  mkdir -p "$cache/matrix"
  (
    # Two checkouts sharing the cache build a venv once, not at the same time.
    flock 9
    if [ ! -e "$venv/.installed" ]; then
      rm -rf "$venv"
      "$python" -m venv "$venv" >&2
      "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$core" -r "$here/requirements.txt" >&2
      touch "$venv/.installed"
    fi
  ) 9>"$venv.lock"
fi
echo "$venv"
