#!/usr/bin/env bash
# Prove that the kind cluster routes pods across nodes and enforces NetworkPolicy (kube-router):
# a server on one worker, two clients on the other. Both reach it first; then a NetworkPolicy
# admits only the client labelled role=allowed, and the other must be refused, by pod IP and by
# Service VIP. Exits non-zero when any step does not hold. Leaves nothing behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ns=netpol-probe
image=$(netprobe_ref)
server_node=$KIND_CLUSTER_NAME-worker
client_node=$KIND_CLUSTER_NAME-worker2
failures=0

kk delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
trap 'kk delete namespace "$ns" --ignore-not-found --wait=false >/dev/null' EXIT
kk create namespace "$ns" >/dev/null

# pod <name> <node> <labels> <command>: a restricted pod on the given node.
pod() {
  cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $ns, labels: {$3}}
spec:
  nodeName: $2
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: main
      image: $image
      imagePullPolicy: Never
      command: ["/bin/sh", "-c", "$4"]
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
---
YAML
}
{
  pod server "$server_node" "app: server" "exec socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo ok'"
  pod allowed "$client_node" "role: allowed" "exec sleep infinity"
  pod denied "$client_node" "role: denied" "exec sleep infinity"
  cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: server, namespace: $ns}
spec:
  selector: {app: server}
  ports: [{port: 80, targetPort: 8080}]
YAML
} | kk apply -f - >/dev/null
kk -n "$ns" wait --for=condition=Ready pod --all --timeout=120s >/dev/null
server_ip=$(kk -n "$ns" get pod server -o jsonpath='{.status.podIP}')
vip=$(kk -n "$ns" get service server -o jsonpath='{.spec.clusterIP}')

# reach <client> <ip> <port>: true when the client gets the server's answer within 2 s.
reach() {
  [[ "$(kk -n "$ns" exec "$1" -- socat -t2 -T3 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null)" == ok ]]
}
# expect <client> <ip> <port> <yes|no> <what>: retry for up to 20 s (policies take a moment).
expect() {
  local c=$1 ip=$2 port=$3 want=$4 what=$5 start=$SECONDS got
  while :; do
    if reach "$c" "$ip" "$port"; then got=yes; else got=no; fi
    [[ $got == "$want" ]] && break
    ((SECONDS - start < 20)) || break
    sleep 0.5
  done
  if [[ $got == "$want" ]]; then
    log "ok   $what ($((SECONDS - start))s)"
  else
    log "FAIL $what: reached=$got, expected $want"
    failures=$((failures + 1))
  fi
}

log "server $server_ip (service $vip) on $server_node; clients on $client_node"
expect allowed "$server_ip" 8080 yes "no policy: allowed client reaches the server across nodes"
expect denied "$server_ip" 8080 yes "no policy: denied client reaches the server across nodes"
expect denied "$vip" 80 yes "no policy: denied client reaches the Service VIP"

kk apply -f - >/dev/null <<YAML
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-from-allowed, namespace: $ns}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {role: allowed}}}]
      ports: [{port: 8080, protocol: TCP}]
YAML
expect denied "$server_ip" 8080 no "policy: denied client is refused by pod IP"
expect denied "$vip" 80 no "policy: denied client is refused by Service VIP"
expect allowed "$server_ip" 8080 yes "policy: allowed client still reaches the server by pod IP"
expect allowed "$vip" 80 yes "policy: allowed client still reaches the Service VIP"

kk -n "$ns" delete networkpolicy server-from-allowed >/dev/null
expect denied "$server_ip" 8080 yes "policy removed: denied client reaches the server again"

if ((failures)); then
  die "$failures NetworkPolicy probe step(s) failed"
fi
log "NetworkPolicy enforced across nodes: all steps passed"
