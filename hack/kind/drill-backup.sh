#!/usr/bin/env bash
# The backup and restore drill on kind (docs/backup-restore.md, issue 19): the real CloudNativePG
# operator and the real Barman Cloud Plugin, both built here, with an S3 store (SeaweedFS, built
# here) as a pod serving TLS from a test CA. This script prepares the cluster; the drill itself
# (converge, backup.yml, restore.yml into an empty namespace, the checks, the timings) is
# tests/integration/backup_kind/test_backup_kind_drill.py (make backup-kind-drill).
#
#   drill-backup.sh prepare   CRDs, images (build, push to the Harbor stand-in), volumes, the
#                             CNPG operator, the plugin (TLS without cert-manager), SeaweedFS
#   drill-backup.sh facts     print the JSON the test reads (registry, S3 endpoint, CA, paths)
#   drill-backup.sh STEP...   some steps alone, each timed into $WORK/prepare-timings.json (molecule
#                             kind's tasks/prepare_drill.yml: images plugin s3, on its own cluster)
#   drill-backup.sh secret NAMESPACE   the store's credentials Secret dify-platform-backup-s3 there
#                             (the namespace made if missing); the user's Secret, never in a set
#
# Runs on its own kind cluster (AIRGAP_KIND_CLUSTER, default airgap-drill; hack/kind/up.sh first).
#
# The plugin's TLS without cert-manager: upstream's manifest (plugin-barman-cloud v0.15.0
# kubernetes/) asks cert-manager for two self-signed certificates, the server's (CN and DNS name
# barman-cloud, server auth) and the client's (CN barman-cloud-client, client auth), in the
# Secrets barman-cloud-server-tls and barman-cloud-client-tls. The same two are made here with
# openssl, each self-signed, with ca.crt = tls.crt as cert-manager's selfSigned issuer writes it:
# the CNPG operator trusts the server Secret's tls.crt as the root and presents the client pair
# (cloudnative-pg v1.30.1 internal/controller/plugin_controller.go), the plugin trusts the
# client's tls.crt (--client-cert, cnpg-i-machinery v0.4.2 pkg/pluginhelper/http/server.go).
# The pairs are made by roles/postgres/files/barman_plugin_tls.py, the code the postgres role runs
# on every converge with postgres_barman_plugin_tls_manage (made again within 30 days of the end).
set -euo pipefail
export AIRGAP_KIND_CLUSTER=${AIRGAP_KIND_CLUSTER:-airgap-drill}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=drill-lib.sh
source "$KIND_DIR/drill-lib.sh"
WORK=$KIND_CACHE/$KIND_CLUSTER_NAME/drill-backup
OPERATOR_NS=cnpg-system
S3_NS=drill-s3
PLUGIN_MODULE=github.com/cloudnative-pg/plugin-barman-cloud
IMAGES=(postgres cnpg-operator barman-cloud-plugin barman-cloud-sidecar seaweedfs redis squid standin litellm)

say() { printf '[drill-backup] %s\n' "$*" >&2; }
# TIMINGS: one "step seconds" line per step, written to $WORK/prepare-timings.json at the end.
TIMINGS=()
timed() { # STEP COMMAND...
  local step=$1 start
  shift
  start=$(now)
  "$@"
  TIMINGS+=("$step $(since "$start")")
  say "$step: $(since "$start")s"
}

crds() {
  "$REPO/hack/localcluster/crds.sh" >/dev/null
  # Not OpenShift's SCC: kind is plain Kubernetes (molecule/kind/prepare.yml says why).
  find "$AIRGAP_CACHE/crds" -name '*.yaml' ! -name '*securitycontextconstraints*' -printf '-f\n%p\n' |
    xargs -d '\n' "$KUBECTL" apply --server-side --force-conflicts >/dev/null
}

images() {
  CONTAINERS_CONF=$AIRGAP_CACHE/images/containers.conf "$PY" "$REPO/hack/images/build.py" build "${IMAGES[@]}"
  CONTAINERS_CONF=$AIRGAP_CACHE/images/containers.conf "$PY" "$REPO/hack/images/harbor_standin.py" push >/dev/null
  "$PY" "$REPO/hack/images/harbor_standin.py" status >"$WORK/standin.json"
  standin_facts
  # The nodes reach the stand-in as host.containers.internal (molecule/kind/prepare.yml).
  "$KIND_DIR/trust-registry.sh" host.containers.internal:5443 "$STANDIN/ca/ca.crt"
}

volumes() { # 6 local volumes per worker, StorageClass airgap-local (as molecule/kind/tasks/local_volumes.yml)
  local_pvs airgap-local /var/local-pv 6 50Gi '[ReadWriteOnce, ReadWriteMany]'
}

operator() { "$KIND_DIR/cnpg-drill.sh" operator >/dev/null; }

plugin_tls() { # the plugin's two pairs, made (or made again near their end) as the postgres role does
  local name current='{}' crt secrets
  for name in barman-cloud-server-tls barman-cloud-client-tls; do
    crt=$(k -n "$OPERATOR_NS" get secret "$name" -o 'jsonpath={.data.tls\.crt}' 2>/dev/null | base64 -d || true)
    current=$("$PY" -c 'import json, sys; c = json.loads(sys.argv[1]); c[sys.argv[2]] = sys.argv[3]; print(json.dumps(c))' \
      "$current" "$name" "$crt")
  done
  secrets=$("$PY" -c 'import json, sys; print(json.dumps({"renew_days": 30, "days": 90, "namespace": sys.argv[1], "current": json.loads(sys.argv[2])}))' \
    "$OPERATOR_NS" "$current" |
    "$PY" "$REPO/roles/postgres/files/barman_plugin_tls.py" |
    "$PY" -c 'import json, sys; out = json.load(sys.stdin)
for name, d in out["decisions"].items(): print("[drill-backup] %s: %s" % (name, d["reason"]), file=sys.stderr)
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": out["secrets"]}) if out["secrets"] else "")')
  [[ -z $secrets ]] || k apply --server-side --force-conflicts -f - <<<"$secrets" >/dev/null
}

# Where the plugin runs: on the control plane, as the CNPG operator (drill-lib.sh control_plane_placement). The operator
# loads the plugins of a Cluster that names one on every reconcile: with the plugin's pod on the worker the node-loss
# test stops, the operator logged "Error loading plugins, retrying" and promoted no replica until that pod was evicted
# (the default not-ready/unreachable toleration, 300 s) and started elsewhere (molecule kind, session 10's run1: the
# failover took 5 min of the test's 3 min of retries plus their own time). CNPG_DRILL_OPERATOR_ON_WORKER=1 keeps
# upstream's placement for both.
plugin() { # the plugin's operator side, from the module's kubernetes/ without the cert-manager objects
  local module sidecar
  [[ -n ${REGISTRY:-} ]] || standin_facts
  module=$(cd "$WORK" && go mod download -json "$PLUGIN_MODULE@v$(plugin_version)" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$WORK/plugin" && mkdir -p "$WORK/plugin"
  cp -r "$module/kubernetes" "$module/config" "$WORK/plugin/" && chmod -R u+w "$WORK/plugin"
  sidecar=$(ref barman_cloud_plugin_sidecar barman-cloud-sidecar)
  # kustomize reads only files under its root: the kustomization sits beside the module's copies.
  cat >"$WORK/plugin/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $OPERATOR_NS
resources:
  - kubernetes/deployment.yaml
  - kubernetes/service.yaml
  - config/crd
  - config/rbac
images:
  - name: plugin-barman-cloud
    newName: $REGISTRY/$PROJECT/$(manifest_path barman_cloud_plugin)
    digest: $(stamp barman-cloud-plugin barman_cloud_plugin digest)
secretGenerator:
  - name: plugin-barman-cloud
    literals: [SIDECAR_IMAGE=$sidecar]
patches:
  - target: {group: apps, version: v1, kind: Deployment, name: barman-cloud}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/imagePullPolicy
        value: IfNotPresent
      - op: add
        path: /spec/template/spec/imagePullSecrets
        value: [{name: standin-pull}]
$(control_plane_placement)
EOF
  k kustomize "$WORK/plugin" >"$WORK/plugin.yaml"
  plugin_tls
  k apply --server-side --force-conflicts -f "$WORK/plugin.yaml" >/dev/null
  k -n "$OPERATOR_NS" rollout status deployment/barman-cloud --timeout=300s >&2
}

plugin_version() {
  "$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["barman_cloud_plugin"]["version"])' \
    "$REPO/release/manifest.yml"
}

s3() { # SeaweedFS as a pod, S3 over TLS on 443 (the instances' egress allows 443), cert from the drill's CA
  mkdir -p "$WORK/ca"
  "$PY" - "$REPO" "$WORK" "$S3_NS" <<'EOF'
import json, secrets, sys
from pathlib import Path
repo, work, ns = sys.argv[1:]
sys.path[:0] = [repo + "/tests"]
from harness.registry.registry import TestCA
ca = TestCA(Path(work) / "ca", name="airgap backup drill CA")
host = "seaweedfs-s3.%s.svc" % ns
cert, key = ca.server_cert("seaweedfs-s3", hosts=(host, host + ".cluster.local", "seaweedfs-s3"))
creds = Path(work) / "s3-credentials.json"
if not creds.exists():
    creds.write_text(json.dumps({"ACCESS_KEY_ID": "drill" + secrets.token_hex(6), "ACCESS_SECRET_KEY": secrets.token_urlsafe(24)}))
    creds.chmod(0o600)
EOF
  [[ -n ${REGISTRY:-} ]] || standin_facts
  pull_secret "$S3_NS"
  k label namespace "$S3_NS" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
  k -n "$S3_NS" create secret tls seaweedfs-s3-tls --cert "$WORK/ca/seaweedfs-s3.crt" --key "$WORK/ca/seaweedfs-s3.key" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
  "$PY" -c 'import json, sys; c = json.load(open(sys.argv[1])); print(json.dumps({"identities": [{"name": "admin",
  "credentials": [{"accessKey": c["ACCESS_KEY_ID"], "secretKey": c["ACCESS_SECRET_KEY"]}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))' "$WORK/s3-credentials.json" >"$WORK/s3.json"
  k -n "$S3_NS" create secret generic seaweedfs-s3-config --from-file=s3.json="$WORK/s3.json" \
    --dry-run=client -o yaml | k apply -f - >/dev/null
  rm -f "$WORK/s3.json"
  k apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: seaweedfs-s3, namespace: $S3_NS}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: seaweedfs-s3}}
  template:
    metadata: {labels: {app: seaweedfs-s3}}
    spec:
      imagePullSecrets: [{name: standin-pull}]
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
        # A safe sysctl (allowed by Pod Security restricted): an unprivileged process may bind 443.
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]
      containers:
        - name: weed
          image: $(ref seaweedfs seaweedfs)
          imagePullPolicy: IfNotPresent
          command: [/usr/bin/weed]
          args: [server, -dir=/data, -ip.bind=0.0.0.0, -master.telemetry=false, -volume.max=100,
                 -master.volumeSizeLimitMB=1024, -s3, -s3.port=443, -s3.port.iceberg=0, -s3.port.lance=0,
                 -s3.cert.file=/tls/tls.crt, -s3.key.file=/tls/tls.key, -s3.config=/config/s3.json]
          env: [{name: HOME, value: /tmp}]
          ports: [{containerPort: 443}]
          readinessProbe: {tcpSocket: {port: 443}, periodSeconds: 5}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: data, mountPath: /data}
            - {name: tmp, mountPath: /tmp}
            - {name: tls, mountPath: /tls, readOnly: true}
            - {name: config, mountPath: /config, readOnly: true}
      volumes:
        - {name: data, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
        - {name: tls, secret: {secretName: seaweedfs-s3-tls}}
        - {name: config, secret: {secretName: seaweedfs-s3-config}}
---
apiVersion: v1
kind: Service
metadata: {name: seaweedfs-s3, namespace: $S3_NS}
spec:
  selector: {app: seaweedfs-s3}
  ports: [{name: https, port: 443, targetPort: 443}]
EOF
  k -n "$S3_NS" rollout status deployment/seaweedfs-s3 --timeout=300s >&2
  # The bucket (weed shell in the pod, as roles/langfuse's script makes its own).
  local _attempt
  for _attempt in $(seq 1 30); do
    k -n "$S3_NS" exec deploy/seaweedfs-s3 -- sh -c 'echo "s3.bucket.create -name dify-platform-backups" | weed shell >/dev/null 2>&1;
      echo s3.bucket.list | weed shell 2>&1' | grep -q dify-platform-backups && return 0
    sleep 2
  done
  die "SeaweedFS: the bucket dify-platform-backups was not created"
}

# secret NAMESPACE: the object store's credentials as postgres_backup.credentials_secret names them
# (ACCESS_KEY_ID, ACCESS_SECRET_KEY), from the store's own credentials file; never printed.
secret() {
  local ns=${1:?usage: drill-backup.sh secret NAMESPACE}
  [[ -s $WORK/s3-credentials.json ]] || die "no $WORK/s3-credentials.json: run drill-backup.sh s3 first"
  k get namespace "$ns" >/dev/null 2>&1 || k create namespace "$ns" >/dev/null
  k -n "$ns" create secret generic dify-platform-backup-s3 --from-env-file=<(
    "$PY" -c 'import json, sys; [print("%s=%s" % kv) for kv in json.load(open(sys.argv[1])).items()]' "$WORK/s3-credentials.json"
  ) --dry-run=client -o yaml | k apply -f - # "secret/dify-platform-backup-s3 created|configured|unchanged"
}

facts() {
  # The stand-in's facts as the images step records them; read now where that step did not run here.
  [[ -s $WORK/standin.json ]] || "$PY" "$REPO/hack/images/harbor_standin.py" status >"$WORK/standin.json"
  "$PY" - "$WORK" "$S3_NS" "$KUBECONFIG" <<'EOF'
import json, sys
work, ns, kubeconfig = sys.argv[1:]
standin = json.load(open(work + "/standin.json"))
print(json.dumps({"kubeconfig": kubeconfig, "work": work, "s3_endpoint": "https://seaweedfs-s3.%s.svc" % ns,
                  "s3_ca": work + "/ca/ca.crt", "s3_credentials": work + "/s3-credentials.json",
                  "standin": standin}, indent=1))
EOF
}

prepare() {
  local t0
  t0=$(now)
  mkdir -p "$WORK"
  [[ -s $KUBECONFIG ]] || die "no kubeconfig at $KUBECONFIG: run AIRGAP_KIND_CLUSTER=$KIND_CLUSTER_NAME hack/kind/up.sh"
  timed crds crds
  timed images images
  timed volumes volumes
  timed cnpg-operator operator
  timed barman-cloud-plugin plugin
  timed s3 s3
  TIMINGS+=("prepare $(since "$t0")")
  write_timings
  say "prepared in $(since "$t0")s"
}

write_timings() { # MERGE=1: into the timings already recorded (steps run one call after another)
  local before='{}'
  [[ ${MERGE:-0} == 1 && -s $WORK/prepare-timings.json ]] && before=$(cat "$WORK/prepare-timings.json")
  printf '%s\n' "${TIMINGS[@]}" | "$PY" -c 'import json, sys
t = json.loads(sys.argv[1]); t.update({l.split()[0]: float(l.split()[1]) for l in sys.stdin}); print(json.dumps(t, indent=1))' \
    "$before" >"$WORK/prepare-timings.json.new"
  mv "$WORK/prepare-timings.json.new" "$WORK/prepare-timings.json"
}

# steps STEP...: some of prepare's steps, in the order given, on a cluster prepared up to them.
steps() {
  local step t0
  t0=$(now)
  mkdir -p "$WORK"
  for step in "$@"; do
    case $step in
      crds | images | volumes | operator | plugin | s3) timed "$step" "$step" ;;
      *) die "unknown step $step (crds, images, volumes, operator, plugin, s3)" ;;
    esac
  done
  TIMINGS+=("steps $(since "$t0")")
  MERGE=1 write_timings
}

case ${1:-prepare} in
  prepare) prepare ;;
  facts) facts ;;
  secret) mkdir -p "$WORK" && secret "${2:-}" ;;
  # Some steps alone, on a cluster prepared up to them.
  crds | images | volumes | operator | plugin | s3) steps "$@" ;;
  *) die "usage: drill-backup.sh [prepare|facts|STEP...|secret NAMESPACE]" ;;
esac
