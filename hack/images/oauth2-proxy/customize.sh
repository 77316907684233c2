#!/bin/sh
# The binary built from the Go module, where the upstream image has it.
set -eu
root=$1
install -D -m 0755 "$INPUTS/oauth2-proxy" "$root/bin/oauth2-proxy"
install -d -m 0755 "$root/etc/ssl/private"
: > "$root/etc/ssl/private/jwt_signing_key.pem"
