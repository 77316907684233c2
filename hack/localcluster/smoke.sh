#!/usr/bin/env bash
# Smoke-check the running local control plane: version, CRDs, scheduling on fake nodes,
# Pod Security admission and the operator stages. Exits non-zero on the first failure
# and always removes its namespace.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS=smoke-$RANDOM
TIMEOUT=${AIRGAP_SMOKE_TIMEOUT:-120s}

pass() { printf '[smoke] PASS %s\n' "$*"; }
fail() { printf '[smoke] FAIL %s\n' "$*" >&2; exit 1; }
cleanup() { kc delete namespace "$NS" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1 || true; }

cluster_healthy || fail "cluster $CLUSTER_NAME is not up and healthy (run hack/localcluster/up.sh)"

# 1. The API server is the version we built.
version=$(kc get --raw /version)
grep -q "\"gitVersion\": \"$KUBE_VERSION\"" <<<"$version" || fail "/version is not $KUBE_VERSION: $version"
pass "/version reports $KUBE_VERSION"

# 2. The OpenShift and operator CRDs are served.
resources=$(kc api-resources -o name)
for r in routes.route.openshift.io securitycontextconstraints.security.openshift.io \
  imagedigestmirrorsets.config.openshift.io subscriptions.operators.coreos.com \
  clusters.postgresql.cnpg.io servicemonitors.monitoring.coreos.com \
  grafanadashboards.grafana.integreatly.org opentelemetrycollectors.opentelemetry.io \
  applications.argoproj.io keycloaks.k8s.keycloak.org; do
  grep -qx "$r" <<<"$resources" || fail "api-resources does not list $r"
done
pass "api-resources lists the OpenShift, OLM, CNPG, monitoring, Grafana, OTel, Argo CD and Keycloak kinds"

trap cleanup EXIT
kc create namespace "$NS" >/dev/null

# 3. A restricted-compliant Deployment becomes Available on the fake nodes.
kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.invalid/smoke/web:1.0
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
kc -n "$NS" wait --for=condition=Available deployment/web --timeout="$TIMEOUT" >/dev/null ||
  fail "deployment/web did not become Available: $(kc -n "$NS" get pods -o wide 2>&1)"
nodes=$(kc -n "$NS" get pods -l app=web -o jsonpath='{.items[*].spec.nodeName}')
pass "restricted Deployment is Available (pods on: $nodes)"

# 4. Pod Security admission rejects a pod that wants root.
if out=$(kc -n "$NS" apply -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: root}
spec:
  containers:
    - name: root
      image: registry.invalid/smoke/root:1.0
      securityContext: {runAsUser: 0, privileged: true}
EOF
); then
  fail "a privileged root pod was admitted"
fi
grep -q 'violates PodSecurity "restricted' <<<"$out" || fail "root pod rejected for another reason: $out"
pass "privileged root pod is rejected by Pod Security admission (restricted)"

# 5. The kwok stages give operator-managed resources a plausible status.
kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
spec:
  instances: 3
  storage: {size: 1Gi}
EOF
kc -n "$NS" wait --for=jsonpath='{.status.phase}'='Cluster in healthy state' cluster.postgresql.cnpg.io/pg \
  --timeout="$TIMEOUT" >/dev/null || fail "CNPG cluster did not become healthy: $(kc -n "$NS" get cluster.postgresql.cnpg.io pg -o yaml)"
ready=$(kc -n "$NS" get cluster.postgresql.cnpg.io pg -o jsonpath='{.status.readyInstances}')
[[ "$ready" == 3 ]] || fail "CNPG cluster readyInstances=$ready, want 3"
kc -n "$NS" wait --for=condition=Ready cluster.postgresql.cnpg.io/pg --timeout=10s >/dev/null ||
  fail "CNPG cluster has no Ready=True condition"
pass "CNPG Cluster reaches 'Cluster in healthy state' with readyInstances=3 and Ready=True"

kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: k8s.keycloak.org/v2alpha1
kind: Keycloak
metadata: {name: kc}
spec: {instances: 1}
EOF
kc -n "$NS" wait --for=condition=Ready keycloak.k8s.keycloak.org/kc --timeout="$TIMEOUT" >/dev/null ||
  fail "Keycloak did not become Ready: $(kc -n "$NS" get keycloak.k8s.keycloak.org kc -o yaml)"
pass "Keycloak reaches Ready=True"

echo "[smoke] all checks passed"
