#!/usr/bin/env bash
# Fetch the real CRDs the platform talks to into $AIRGAP_CACHE/crds, straight from the
# published Go modules of their projects (`go mod download`, module cache, no git clone).
# Skipped when the stamp (this script + versions.env) is unchanged.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# <module> <version> <directory in the module> <file>...
CRD_SOURCES=$(
  cat <<EOF
github.com/openshift/api $OPENSHIFT_API_VERSION route/v1/zz_generated.crd-manifests routes.crd.yaml
github.com/openshift/api $OPENSHIFT_API_VERSION security/v1/zz_generated.crd-manifests 0000_03_config-operator_01_securitycontextconstraints.crd.yaml
github.com/openshift/api $OPENSHIFT_API_VERSION config/v1/zz_generated.crd-manifests 0000_10_config-operator_01_imagedigestmirrorsets.crd.yaml 0000_10_config-operator_01_imagetagmirrorsets.crd.yaml
github.com/operator-framework/api $OLM_API_VERSION crds operators.coreos.com_subscriptions.yaml operators.coreos.com_catalogsources.yaml operators.coreos.com_operatorgroups.yaml operators.coreos.com_clusterserviceversions.yaml operators.coreos.com_installplans.yaml
github.com/cloudnative-pg/cloudnative-pg $CNPG_VERSION config/crd/bases postgresql.cnpg.io_clusters.yaml postgresql.cnpg.io_databases.yaml postgresql.cnpg.io_scheduledbackups.yaml postgresql.cnpg.io_backups.yaml postgresql.cnpg.io_poolers.yaml
github.com/cloudnative-pg/plugin-barman-cloud $BARMAN_CLOUD_PLUGIN_VERSION config/crd/bases barmancloud.cnpg.io_objectstores.yaml
github.com/prometheus-operator/prometheus-operator $PROMETHEUS_OPERATOR_VERSION example/prometheus-operator-crd monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_prometheusrules.yaml
github.com/grafana/grafana-operator/v5 $GRAFANA_OPERATOR_VERSION config/crd/bases grafana.integreatly.org_grafanadashboards.yaml grafana.integreatly.org_grafanadatasources.yaml
github.com/open-telemetry/opentelemetry-operator $OTEL_OPERATOR_VERSION config/crd/bases opentelemetry.io_opentelemetrycollectors.yaml
github.com/argoproj/argo-cd/v3 $ARGOCD_VERSION manifests/crds application-crd.yaml appproject-crd.yaml
EOF
)

STAMP_FILE=$CRD_DIR/.stamp
MAVEN_REPO=${AIRGAP_MAVEN_REPO:-https://repo1.maven.org/maven2}

stamp() { cat "$LOCALCLUSTER_DIR/versions.env" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16; }

# module_dir <module> <version>: download the module zip (if needed) and print its directory.
module_dir() {
  local out dir
  out=$(cd "$FETCH_DIR" && GOFLAGS=-mod=mod go mod download -json "$1@$2" 2>&1) || true
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$out")
  if [[ -z "$dir" || ! -d "$dir" ]]; then
    die "cannot download $1@$2: $(sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' <<<"$out" | head -n1)"
  fi
  echo "$dir"
}

fetch_go_crds() {
  local module version subdir files file dir prefix n=0
  while read -r module version subdir files; do
    dir=$(module_dir "$module" "$version")
    prefix=${module#github.com/}
    prefix=${prefix%/v[0-9]*}
    prefix=${prefix//\//-}
    for file in $files; do
      [[ -f "$dir/$subdir/$file" ]] || die "$module@$version has no $subdir/$file"
      install -m 0644 "$dir/$subdir/$file" "$OUT/${prefix}_$file"
      n=$((n + 1))
    done
  done <<<"$CRD_SOURCES"
  log "copied $n CRD files from Go modules"
}

# The Keycloak operator's CRDs are generated at build time (fabric8) and only published in
# the keycloak/keycloak-k8s-resources git repo, which has no Go-module versions. Its jar
# would carry them under META-INF/fabric8/ if it were ever deployed to Maven.
fetch_keycloak_crds() {
  local base=$MAVEN_REPO/org/keycloak/keycloak-operator/$KEYCLOAK_VERSION
  local jar=$AIRGAP_CACHE/maven/keycloak-operator-$KEYCLOAK_VERSION.jar kind
  mkdir -p "$(dirname "$jar")"
  if [[ -s "$jar" ]] || curl -fsSL --max-time 60 -o "$jar.part" "$base/keycloak-operator-$KEYCLOAK_VERSION.jar" 2>/dev/null; then
    [[ -s "$jar" ]] || mv "$jar.part" "$jar"
    for kind in keycloaks keycloakrealmimports; do
      unzip -p "$jar" "META-INF/fabric8/$kind.k8s.keycloak.org-v1.yml" >"$OUT/keycloak_$kind.k8s.keycloak.org-v1.yml"
    done
    log "copied Keycloak CRDs from org.keycloak:keycloak-operator:$KEYCLOAK_VERSION"
    return
  fi
  rm -f "$jar.part"
  if [[ "${AIRGAP_KEYCLOAK_CRD_STUB:-1}" != 1 ]]; then
    die "org.keycloak:keycloak-operator:$KEYCLOAK_VERSION is not on $MAVEN_REPO"
  fi
  log "WARNING: org.keycloak:keycloak-operator:$KEYCLOAK_VERSION is not on $MAVEN_REPO;"
  log "WARNING: installing schema-less STUB CRDs for k8s.keycloak.org (set AIRGAP_KEYCLOAK_CRD_STUB=0 to fail instead)"
  for kind in Keycloak KeycloakRealmImport; do write_stub_crd k8s.keycloak.org v2alpha1 "$kind"; done
}

# write_stub_crd <group> <version> <Kind>: a namespaced CRD that accepts any spec/status.
write_stub_crd() {
  local group=$1 version=$2 kind=$3 plural
  plural=$(tr '[:upper:]' '[:lower:]' <<<"$kind")s
  cat >"$OUT/STUB_$plural.$group.yaml" <<EOF
# STUB written by hack/localcluster/crds.sh: the real CRD could not be fetched.
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $plural.$group
  annotations:
    airgap.local/stub: "true"
spec:
  group: $group
  names: {kind: $kind, listKind: ${kind}List, plural: $plural, singular: ${plural%s}}
  scope: Namespaced
  versions:
    - name: $version
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
            status: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
}

if [[ -f "$STAMP_FILE" && "$(<"$STAMP_FILE")" == "$(stamp)" ]]; then
  log "CRDs: up to date ($(find "$CRD_DIR" -name '*.y*ml' | wc -l) files in $CRD_DIR)"
  exit 0
fi

require_go
FETCH_DIR=$SRC_DIR/crd-fetch
mkdir -p "$FETCH_DIR" "$AIRGAP_CACHE"
printf 'module airgap.local/crd-fetch\n\ngo %s\n' "$GO_MIN_VERSION" >"$FETCH_DIR/go.mod"
OUT=$(mktemp -d "$AIRGAP_CACHE/crds.new.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

fetch_go_crds
fetch_keycloak_crds
stamp >"$OUT/.stamp"
chmod 0755 "$OUT"
rm -rf "$CRD_DIR"
mv "$OUT" "$CRD_DIR"
log "CRDs in $CRD_DIR"
