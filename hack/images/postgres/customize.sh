#!/bin/sh
# Remove the cluster Debian's postinst creates (CloudNativePG runs initdb on its PVC).
set -eu
root=$1
rm -rf "$root"/var/lib/postgresql/17/main "$root"/etc/postgresql/17/main
ln -sf /usr/lib/x86_64-linux-gnu/libnss_wrapper.so "$root"/usr/lib/libnss_wrapper.so
# The postgres user gets UID 26, as upstream's image does ("RUN usermod -u 26 postgres",
# cloudnative-pg/postgres-containers Dockerfile): the operator runs the instance as
# postgresUID 26 by default, and initdb refuses a UID without a passwd entry ("initdb: could
# not look up effective user ID 26: user does not exist"). Debian gives it a system UID (100).
# Its group stays Debian's postgres group, as upstream's does. No usermod in the essential
# variant: the passwd line is rewritten, and what the old UID owned is handed over.
old=$(awk -F: '$1 == "postgres" { print $3 }' "$root"/etc/passwd)
[ -n "$old" ] || { echo "no postgres user in the image" >&2; exit 1; }
if [ "$old" != 26 ]; then
  ! awk -F: '$3 == 26 { found = 1 } END { exit !found }' "$root"/etc/passwd ||
    { echo "UID 26 is taken in the image" >&2; exit 1; }
  sed -i "s/^postgres:\([^:]*\):$old:/postgres:\1:26:/" "$root"/etc/passwd
  find "$root" -xdev -uid "$old" -exec chown -h 26 {} +
fi
