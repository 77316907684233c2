#!/bin/sh
# Smoke run: initdb and postgres as an arbitrary UID through nss_wrapper (as
# CloudNativePG's instance manager does), then pgvector is created.
set -eu
printf 'postgres:x:%s:0:postgres:/tmp:/bin/sh\n' "$(id -u)" > /tmp/passwd
printf 'root:x:0:\n' > /tmp/group
export LD_PRELOAD=/usr/lib/libnss_wrapper.so NSS_WRAPPER_PASSWD=/tmp/passwd NSS_WRAPPER_GROUP=/tmp/group
pgdata=/var/lib/postgresql/data/pgdata
initdb -D "$pgdata" -U postgres --auth=trust >/tmp/initdb.log
postgres -D "$pgdata" -k /tmp -c listen_addresses='' &
until pg_isready -q -h /tmp; do sleep 0.5; done
psql -h /tmp -U postgres -qc 'CREATE EXTENSION vector'
wait
