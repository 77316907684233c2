#!/usr/bin/env bash
# LiteLLM's image run for real on the PostgreSQL image, both built here, the way the litellm role
# runs it (roles/litellm/templates/migrate.yml.j2, litellm.yml.j2): as an arbitrary UID with GID 0,
# read-only roots, no capabilities, tmpfs only at the role's emptyDirs (/tmp, /var/run/litellm),
# the config mounted read-only at /etc/litellm, the role's environment.
#   1. the migration Job's command: litellm --config ... --skip_server_startup (the schema step,
#      through the image's prisma shim), twice: the second run must apply nothing;
#   2. the proxy with DISABLE_SCHEMA_UPDATE=true: /health/liveliness, then /health/readiness
#      until it reports db "connected" (the role's probes);
#   3. authenticated calls: /key/generate with the master key, /v1/models with the new key,
#      /key/generate without a key refused, /metrics (the prometheus callback the role turns on
#      with observability) with the master key. The config has the role's prometheus and langfuse callbacks.
# Needs `make images IMAGES="postgres litellm"` first.
# Usage: hack/images/smoke-litellm-postgres.sh [TIMEOUT_SECONDS]
set -euo pipefail
# shellcheck source=hack/images/smoke-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/smoke-lib.sh"
timeout=${1:-300}
# The postgres image: the stamp's, or SMOKE_POSTGRES_IMAGE (e.g. while the stamp names a rebuild not loaded yet).
pg=${SMOKE_POSTGRES_IMAGE:-$(local_ref postgres postgres)}
lt=$(local_ref litellm litellm)
name=airgap-images-litellm-$$
cleanup() { for c in proxy migrate pg; do podman rm -f -t 2 "$name-$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
log() { echo "[smoke-litellm] $*" >&2; }

start_postgres "$name-pg" "$pg" 4000
# Throw-away credentials for these containers only (trust auth on loopback inside the pod).
db_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
master="sk-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
podman exec -i "$name-pg" psql -q -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -v pw="$db_password" >/dev/null <<'SQL'
CREATE ROLE litellm LOGIN PASSWORD :'pw';
CREATE DATABASE litellm OWNER litellm;
SQL

# The role's environment (roles/litellm/templates/env.yml.j2), values filled in as the kubelet would.
env_args=(-e LITELLM_MASTER_KEY="$master" -e LITELLM_SALT_KEY="sk-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  -e DATABASE_USERNAME=litellm -e DATABASE_PASSWORD="$db_password"
  -e DATABASE_URL="postgresql://litellm:$db_password@127.0.0.1:5432/litellm?connection_limit=10"
  -e LITELLM_MIGRATION_DIR=/var/run/litellm/migrations -e LITELLM_LOG=INFO -e LITELLM_LOCAL_MODEL_COST_MAP=True
  -e LANGFUSE_HOST=http://127.0.0.1:9 -e LANGFUSE_PUBLIC_KEY=pk-lf-smoke-only -e LANGFUSE_SECRET_KEY=sk-lf-smoke-only)
# shellcheck disable=SC2054 # the commas are tmpfs mount options, not array separators
pod_args=(--network "container:$name-pg" "${restricted[@]}" --tmpfs /tmp:rw,mode=1777
  --tmpfs /var/run/litellm:rw,mode=1777 -v "$here/litellm/smoke/config-db.yaml:/etc/litellm/config.yaml:ro")

for run in 1 2; do
  start=$SECONDS
  if ! out=$(podman run --rm --name "$name-migrate" "${pod_args[@]}" "${env_args[@]}" --entrypoint litellm "$lt" \
      --config /etc/litellm/config.yaml --skip_server_startup 2>&1); then
    echo "$out" | tail -40 >&2
    log "migration Job command failed (run $run)"
    exit 1
  fi
  applied=$(podman exec "$name-pg" psql -h 127.0.0.1 -U postgres -d litellm -tAc \
    "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")
  tables=$(podman exec "$name-pg" psql -h 127.0.0.1 -U postgres -d litellm -tAc \
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
  log "migration run $run: exit 0 in $((SECONDS - start))s; ledger $applied migrations, $tables tables; $(echo "$out" | grep -E -m1 'All migrations have been successfully applied|No pending migrations' || echo 'no deploy summary')"
  [ "$run" = 1 ] && first=$out
done
echo "$out" | grep -q "No pending migrations to apply" || { echo "$out" | tail -20 >&2; log "second run was not a no-op"; exit 1; }
echo "$first" | grep -q "LiteLLM: Setup complete" || { echo "$first" | tail -20 >&2; log "no 'Setup complete'"; exit 1; }

start=$SECONDS
podman run -d --name "$name-proxy" "${pod_args[@]}" "${env_args[@]}" -e DISABLE_SCHEMA_UPDATE=true \
  --entrypoint litellm "$lt" --config=/etc/litellm/config.yaml --host=0.0.0.0 --port=4000 >/dev/null
url=http://$(podman port "$name-pg" 4000/tcp 2>/dev/null | head -1)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health/liveliness")" = 200 ] \
    && curl -sf "$url/health/readiness" | grep -q '"db": *"connected"'; do
  if [ "$(podman inspect -f '{{.State.Running}}' "$name-proxy")" != true ] || (( SECONDS - start > timeout )); then
    podman logs --tail 40 "$name-proxy" >&2
    log "proxy not ready after $((SECONDS - start))s"
    exit 1
  fi
  sleep 2
done
log "proxy ready after $((SECONDS - start))s: readiness $(curl -sf "$url/health/readiness" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d.get(k) for k in ("status", "db", "litellm_version")})')"

# call METHOD PATH KEY [BODY]: the body on stdout; a non-2xx answer fails with it and the proxy's log.
call() {
  local out code
  out=$(curl -s -w '\n%{http_code}' -X "$1" "$url$2" ${3:+-H "Authorization: Bearer $3"} \
    -H 'Content-Type: application/json' ${4:+-d "$4"})
  code=${out##*$'\n'}
  if [[ $code != 2* ]]; then
    podman logs --tail 30 "$name-proxy" >&2
    log "$1 $2 answered $code: ${out%$'\n'*}"
    exit 1
  fi
  echo "${out%$'\n'*}"
}
key=$(call POST /key/generate "$master" '{"models": ["gpt-smoke"], "key_alias": "smoke"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
models=$(call GET /v1/models "$key" | python3 -c 'import json,sys; print([m["id"] for m in json.load(sys.stdin)["data"]])')
[ "$models" = "['gpt-smoke']" ] || { log "unexpected /v1/models: $models"; exit 1; }
stored=$(podman exec "$name-pg" psql -h 127.0.0.1 -U postgres -d litellm -tAc \
  "SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE key_alias = 'smoke'")
[ "$stored" = 1 ] || { log "the key is not in PostgreSQL ($stored rows)"; exit 1; }
refused=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/key/generate" -H 'Content-Type: application/json' -d '{}')
[ "$refused" = 401 ] || { log "/key/generate without a key answered $refused, not 401"; exit 1; }
log "authenticated: /key/generate (master key) made a key stored in LiteLLM_VerificationToken; /v1/models with it: $models; without a key: $refused"
# The prometheus callback's /metrics/ (no redirect), with the key the observability role's PodMonitor sends.
families=$(call GET /metrics/ "$master" | grep -c '^# HELP litellm_' || true)
[ "$families" -ge 1 ] || { log "/metrics has no litellm_ metric family"; exit 1; }
log "/metrics/ (master key, the PodMonitor's path): $families litellm_ metric families (prometheus callback on)"
restarts=$(podman inspect -f '{{.RestartCount}}' "$name-proxy")
log "OK: $(podman exec "$name-proxy" id), read-only roots, restarts $restarts"
