#!/bin/sh
# Remove the cluster Debian's postinst creates (CloudNativePG runs initdb on its PVC).
set -eu
root=$1
rm -rf "$root"/var/lib/postgresql/17/main "$root"/etc/postgresql/17/main
ln -sf /usr/lib/x86_64-linux-gnu/libnss_wrapper.so "$root"/usr/lib/libnss_wrapper.so
