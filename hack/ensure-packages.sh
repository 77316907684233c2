#!/usr/bin/env bash
# Install Debian packages that a target needs, only when a command is missing.
# Usage: ensure-packages.sh COMMAND=PACKAGE [COMMAND=PACKAGE ...]
set -euo pipefail
missing=()
for pair in "$@"; do
  command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "error: missing packages: ${missing[*]}; install them with your package manager" >&2
  exit 1
fi
stamp=/var/lib/apt/periodic/airgap-dify-platform-update
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
  apt-get update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
