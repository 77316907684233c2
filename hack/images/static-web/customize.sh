#!/bin/sh
# The server's configuration, where nginx reads it; Debian's sites and default pages removed,
# so nothing but /srv/www is served. /srv/www is an empty mount point for the volume.
set -eu
root=$1
here=$(cd "$(dirname "$0")" && pwd)
install -D -m 0644 "$here/nginx.conf" "$root/etc/nginx/nginx.conf"
rm -rf "$root/etc/nginx/sites-enabled" "$root/etc/nginx/sites-available" "$root/etc/nginx/conf.d" \
  "$root/var/www/html" "$root/usr/share/nginx/html"
install -d -m 0755 "$root/etc/nginx/server.d" "$root/srv/www"
# Debian's logs would go to /var/log/nginx (read-only here): link them to the container's streams.
install -d -m 0755 "$root/var/log/nginx"
ln -sf /dev/stdout "$root/var/log/nginx/access.log"
ln -sf /dev/stderr "$root/var/log/nginx/error.log"
