#!/bin/sh
# The stand-in server and the command names the role templates call
# (dify-beat's `celery`, the migration Job's `flask upgrade-db`, ClickHouse's `/usr/bin/clickhouse`),
# all running it.
set -eu
root=$1
here=$(dirname "$0")
install -D -m 0755 "$here/server.py" "$root/opt/stand-in/server.py"
for shim in /usr/local/bin/celery /usr/local/bin/flask /usr/bin/clickhouse; do
  printf '#!/bin/sh\nexec python3 /opt/stand-in/server.py %s "$@"\n' "$(basename "$shim")" > "$root$shim"
  chmod 0755 "$root$shim"
done
