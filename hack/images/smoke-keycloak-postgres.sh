#!/usr/bin/env bash
# Keycloak's image started for real on the PostgreSQL image, both built here: `kc.sh start
# --optimized` (what the Keycloak operator runs for a custom image), both as an arbitrary UID with
# GID 0, read-only roots, tmpfs only at /tmp, PGDATA and /opt/keycloak/data. Waits for
# /health/ready on the management port, checks /metrics and the master realm's OIDC discovery.
# Needs `make images` first. Usage: hack/images/smoke-keycloak-postgres.sh [TIMEOUT_SECONDS]
set -euo pipefail
# shellcheck source=hack/images/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"
timeout=${1:-300}
pg=$(local_ref postgres postgres)
kc=$(local_ref keycloak keycloak)
name=airgap-images-kc-$$
cleanup() { podman rm -f -t 2 "$name-kc" >/dev/null 2>&1 || true; podman rm -f -t 2 "$name-pg" >/dev/null 2>&1 || true; }
trap cleanup EXIT
start_postgres "$name-pg" "$pg" 9000 8080
# The admin password is a throw-away for this container only.
podman run -d --name "$name-kc" --network "container:$name-pg" "${restricted[@]}" \
  --tmpfs /tmp:rw,mode=1777 --tmpfs /opt/keycloak/data:rw,mode=1777 \
  -e KC_BOOTSTRAP_ADMIN_USERNAME=admin -e KC_BOOTSTRAP_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64)" \
  "$kc" start --optimized --http-enabled=true --hostname-strict=false \
  --db-url=jdbc:postgresql://127.0.0.1:5432/postgres --db-username=postgres --db-password=unused >/dev/null
mgmt=$(podman port "$name-pg" 9000/tcp | head -1)
http=$(podman port "$name-pg" 8080/tcp | head -1)
start=$SECONDS
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$mgmt/health/ready")" = 200 ]; do
  if [ "$(podman inspect -f '{{.State.Running}}' "$name-kc")" != true ] || (( SECONDS - start > timeout )); then
    podman logs --tail 30 "$name-kc" >&2
    echo "keycloak: not ready after $((SECONDS - start))s" >&2
    exit 1
  fi
  sleep 2
done
metrics=$(curl -sf "http://$mgmt/metrics" || true)
if ! grep -q '^jvm_' <<<"$metrics"; then echo "keycloak: no metrics" >&2; exit 1; fi
curl -sf -o /dev/null "http://$http/realms/master/.well-known/openid-configuration" || { echo "keycloak: no OIDC discovery" >&2; exit 1; }
echo "keycloak $(podman exec "$name-kc" /opt/keycloak/bin/kc.sh --version 2>/dev/null | grep -m1 Keycloak) ready on postgres after $((SECONDS - start))s as $user, read-only roots"
