#!/bin/sh
# Like serve.sh, but listening on 127.0.0.1:5432 for a client sharing its network (smoke-keycloak-postgres.sh).
set -eu
printf 'postgres:x:%s:0:postgres:/tmp:/bin/sh\n' "$(id -u)" > /tmp/passwd
printf 'root:x:0:\n' > /tmp/group
export LD_PRELOAD=/usr/lib/libnss_wrapper.so NSS_WRAPPER_PASSWD=/tmp/passwd NSS_WRAPPER_GROUP=/tmp/group
initdb -D /var/lib/postgresql/data/pgdata -U postgres --auth=trust >/dev/null
exec postgres -D /var/lib/postgresql/data/pgdata -k /tmp -c listen_addresses=127.0.0.1
