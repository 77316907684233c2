#!/usr/bin/env bash
# A pool of PersistentVolumes for the local control plane: kwok runs no
# storage provisioner, and a pod whose PVC stays Pending is never scheduled.
# The StorageClass kwok-local (no provisioner, Immediate binding) lets the PV
# controller bind each claim to a pre-made hostPath volume. Idempotent.
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
echo "storage: StorageClass kwok-local with $volumes PersistentVolumes"
