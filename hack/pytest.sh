#!/usr/bin/env bash
# Run pytest on the given paths, and fail when nothing was collected:
# pytest's exit code 5 ("no tests ran") must never pass silently.
set -uo pipefail
pytest -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests in: $*" >&2
  exit 1
fi
exit "$rc"
