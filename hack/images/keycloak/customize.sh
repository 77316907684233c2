#!/bin/sh
# Unpack the Keycloak distribution from Maven Central into /opt/keycloak and
# pre-build it for PostgreSQL (what the operator's `start --optimized` expects).
set -eu
root=$1
mkdir -p "$root/opt/keycloak"
tar -xzf "$INPUTS/keycloak-quarkus-dist-$VERSION.tar.gz" -C "$root/opt/keycloak" --strip-components=1
mkdir -p "$root/opt/keycloak/data"
# The JVM reads /proc; mount it for the build step if mmdebstrap has not.
if ! mountpoint -q "$root/proc"; then
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc"' EXIT
fi
chroot "$root" env JAVA_HOME=/usr/lib/jvm/java-21-openjdk-amd64 PATH=/usr/bin:/bin \
  /opt/keycloak/bin/kc.sh build --db=postgres --health-enabled=true --metrics-enabled=true
chown -R 1000:0 "$root/opt/keycloak"
chmod -R g+rwX "$root/opt/keycloak"
