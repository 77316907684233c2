#!/usr/bin/env bash
# Create the kind cluster (idempotent): one control plane, two workers, from the node image built
# here, with kube-router for pod routes and NetworkPolicy. Prints state=created|present and
# KUBECONFIG=<path> on stdout.
# Environment:
#   AIRGAP_KIND_CLUSTER      cluster name (default airgap-dify)
#   AIRGAP_KIND_KUBECONFIG   where to write the kubeconfig (default $AIRGAP_CACHE/kind/<name>/kubeconfig)
#   AIRGAP_KIND_REGISTRY     host[:port] of the registry standing in for Harbor (optional)
#   AIRGAP_KIND_REGISTRY_CA  its CA certificate (PEM), trusted by containerd in every node
#   AIRGAP_KIND_PROVIDER     auto (default: docker where a Docker engine answers, else podman), docker
#                            or podman (engine.sh; kind's KIND_EXPERIMENTAL_PROVIDER is honoured too)
#   AIRGAP_KIND_INGRESS_ADDRESS  optional host address (e.g. 127.0.78.1): its ports 443 and 80 are mapped to
#                            the control plane's NodePorts 30443 and 30080 (a test router; tests/browser/kind)
# shellcheck disable=SC2016  # envsubst takes the names to replace as a literal '${NAME}' list
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_engine
[[ -x "$BIN_DIR/kind" ]] || "$KIND_DIR/build-tools.sh"

ref=$("$KIND_DIR/node-image.sh")
mkdir -p "$KIND_CERTS_D" "$(dirname "$KIND_KUBECONFIG")"
if [[ -n "${AIRGAP_KIND_REGISTRY:-}" ]]; then
  "$KIND_DIR/trust-registry.sh" "$AIRGAP_KIND_REGISTRY" "${AIRGAP_KIND_REGISTRY_CA:?AIRGAP_KIND_REGISTRY_CA must name the registry CA}"
fi

# One up/down at a time per cluster.
exec 9>"$KIND_CACHE/$KIND_CLUSTER_NAME/lock"
flock 9

nodes_ready() {
  kk get nodes --no-headers 2>/dev/null | awk '$2 == "Ready" { n++ } END { exit !(n == 3) }'
}

if kind_cluster_exists; then
  kind_cli get kubeconfig --name "$KIND_CLUSTER_NAME" >"$KIND_KUBECONFIG"
  # docker: a restarted node lost its host.containers.internal entry (host-alias.sh).
  "$KIND_DIR/host-alias.sh" 9>&- || log "a node did not take the host alias; checking health"
  if nodes_ready && kk -n kube-system rollout status ds/kube-router --timeout=5s >/dev/null 2>&1; then
    running=$($ENGINE inspect --format '{{.ImageName}}' "$KIND_CLUSTER_NAME-control-plane" 2>/dev/null ||
      $ENGINE inspect --format '{{.Config.Image}}' "$KIND_CLUSTER_NAME-control-plane")
    [[ "$running" == "$ref" ]] ||
      log "WARNING: the cluster runs $running, not the current $ref; make kind-down kind-up to move"
    log "cluster $KIND_CLUSTER_NAME is up"
    echo "state=present"
    echo "KUBECONFIG=$KIND_KUBECONFIG"
    exit 0
  fi
  log "cluster $KIND_CLUSTER_NAME exists but is not healthy: recreating it"
  kind_cli delete cluster --name "$KIND_CLUSTER_NAME"
fi

start=$SECONDS
config=$KIND_CACHE/$KIND_CLUSTER_NAME/kind.yaml
ETCD_VERSION=$ETCD_VERSION KIND_CERTS_D=$KIND_CERTS_D envsubst '${ETCD_VERSION} ${KIND_CERTS_D}' \
  <"$KIND_DIR/cluster.yaml" >"$config"
if [[ -n "${AIRGAP_KIND_INGRESS_ADDRESS:-}" ]]; then
  [[ $AIRGAP_KIND_INGRESS_ADDRESS =~ ^[0-9.]+$ ]] || die "AIRGAP_KIND_INGRESS_ADDRESS must be an IPv4 address"
  map="    extraPortMappings:"
  for port in 443:30443 80:30080; do
    map+="\\n      - {hostPort: ${port%%:*}, containerPort: ${port#*:}, listenAddress: \"$AIRGAP_KIND_INGRESS_ADDRESS\", protocol: TCP}"
  done
  sed -i "/^  - role: control-plane\$/a\\$map" "$config"
fi
# No --wait: the nodes stay NotReady until kube-router has written the CNI config.
# (fd 9 is the lock: the node containers' conmon processes must not inherit it, or it would be
# held for as long as the cluster runs.)
kind_cli create cluster --name "$KIND_CLUSTER_NAME" --image "$ref" --config "$config" \
  --kubeconfig "$KIND_KUBECONFIG" 9>&-
created=$SECONDS
# docker: the nodes reach the host (the Harbor stand-in) as host.containers.internal, as on podman.
"$KIND_DIR/host-alias.sh" 9>&-
KUBE_ROUTER_VERSION=$KUBE_ROUTER_VERSION envsubst '${KUBE_ROUTER_VERSION}' <"$KIND_DIR/kube-router.yaml" |
  kk apply --server-side --field-manager=airgap-kind -f - >/dev/null
kk -n kube-system rollout status ds/kube-router --timeout=180s >&2
kk wait --for=condition=Ready nodes --all --timeout=180s >&2
kk -n kube-system rollout status deploy/coredns --timeout=180s >&2
log "cluster $KIND_CLUSTER_NAME up in $((SECONDS - start))s (kind create $((created - start))s, network and DNS $((SECONDS - created))s)"
echo "state=created"
echo "KUBECONFIG=$KIND_KUBECONFIG"
