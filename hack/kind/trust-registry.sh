#!/usr/bin/env bash
# Make the kind nodes' containerd trust a registry's CA: write <certs.d>/<host[:port]>/hosts.toml
# and ca.crt. The directory is bind-mounted read-only into every node at /etc/containerd/certs.d
# (cluster.yaml), and containerd reads it at each pull, so this works before or after `kind-up`.
# Usage: trust-registry.sh HOST[:PORT] CA_FILE
#   e.g. trust-registry.sh harbor.kind.test:5443 "$AIRGAP_CACHE/pki/ca.crt"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

host=${1:?usage: trust-registry.sh HOST[:PORT] CA_FILE}
ca=${2:?usage: trust-registry.sh HOST[:PORT] CA_FILE}
[[ $host =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "not a registry host[:port]: $host"
if ! grep -qs 'BEGIN CERTIFICATE' "$ca"; then die "not a PEM certificate: $ca"; fi

dir=$KIND_CERTS_D/$host
mkdir -p "$dir"
# containerd's hosts.toml (containerd docs/hosts.md); the path is the one inside the node.
toml="server = \"https://$host\"

[host.\"https://$host\"]
  capabilities = [\"pull\", \"resolve\"]
  ca = \"/etc/containerd/certs.d/$host/ca.crt\"
"
changed=false
if ! cmp -s "$ca" "$dir/ca.crt"; then install -m 0644 "$ca" "$dir/ca.crt"; changed=true; fi
if [[ "$(cat "$dir/hosts.toml" 2>/dev/null)"$'\n' != "$toml" ]]; then
  printf '%s' "$toml" >"$dir/hosts.toml"
  changed=true
fi
if $changed; then log "containerd in the kind nodes trusts $host (CA $ca)"; else log "$host already trusted"; fi
