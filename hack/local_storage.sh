#!/usr/bin/env bash
# A pool of PersistentVolumes for the local control plane: kwok runs no
# storage provisioner, and a pod whose PVC stays Pending is never scheduled.
# The StorageClass kwok-local (no provisioner, Immediate binding) lets the PV
# controller bind each claim to a pre-made hostPath volume. A volume whose claim
# was deleted (its namespace gone) is Released and, with Retain, never bound
# again: it goes back to the pool here, as a provisioner with reclaimPolicy
# Delete would make a new one. hack/localcluster/up.sh runs this on every call,
# so a fresh cluster and one that many test namespaces came and went from both
# have their volumes. Idempotent.
set -euo pipefail
kubectl=${KUBECTL:-${AIRGAP_CACHE:-$HOME/.cache/airgap-dify-platform}/bin/kubectl}
volumes=${AIRGAP_LOCAL_VOLUMES:-40}
{
  cat <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: kwok-local
  labels: {app.kubernetes.io/part-of: airgap-localcluster}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
reclaimPolicy: Retain
YAML
  for i in $(seq -w 1 "$volumes"); do
    cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: kwok-local-$i
  labels: {app.kubernetes.io/part-of: airgap-localcluster}
spec:
  storageClassName: kwok-local
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /var/lib/kwok-local/$i}
YAML
  done
} | "$kubectl" apply --server-side --field-manager airgap-localcluster -f - >/dev/null
released=$("$kubectl" get pv -l app.kubernetes.io/part-of=airgap-localcluster \
  -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}')
for pv in $released; do
  "$kubectl" patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
done
echo "storage: StorageClass kwok-local with $volumes PersistentVolumes ($(wc -w <<<"$released") recycled)"
