# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a wave's gating objects count as ready, and why they do not.

Every gate is judged against the generation applied (``metadata.generation``),
never on a status alone: right after an apply that changed a spec, the status
is still the one of the previous generation, and it says Ready.

* Deployment and StatefulSet: ``status.observedGeneration`` and the replica counts.
* Job: condition ``Complete``; condition ``Failed`` fails the wave at once.
* ``Keycloak`` (k8s.keycloak.org): the Keycloak operator 26.x writes
  ``status.observedGeneration`` and an ``observedGeneration`` on each condition
  (keycloak/keycloak, operator/src/main/java/org/keycloak/operator/crds/v2alpha1/
  deployment/KeycloakStatusAggregator.java, ``build()``). Ready needs both at the
  generation applied, ``Ready=True`` and no ``RollingUpdate=True``: the operator
  keeps Ready True while it rolls its StatefulSet out
  (operator/.../controllers/KeycloakController.java, ``updateStatus``).
* ``Database`` (CloudNativePG, EDB): ``status.applied`` true with
  ``status.observedGeneration`` at the generation applied; the instance manager
  sets both only once it reconciled that generation (cloudnative-pg v1.30.1,
  api/v1/database_funcs.go ``SetAsReady``).
* ``Cluster`` (CloudNativePG, EDB) publishes no generation at all: neither
  ``status.observedGeneration`` (api/v1/cluster_types.go ``ClusterStatus``, v1.30.1)
  nor one on its ``Ready`` condition (pkg/resources/status/transactions.go
  ``SetClusterReadyCondition``). The best signal it gives: ``Ready=True``, phase
  ``Cluster in healthy state``, ``readyInstances`` equal to ``spec.instances``, no
  switchover under way (``currentPrimary == targetPrimary``) and ``status.image``
  equal to ``spec.imageName``, which the operator writes once it took the new image
  (internal/controller/cluster_image.go ``reconcileImage``). An image bump therefore
  waits for the operator. A change that moves neither the image nor the instances
  (parameters, resources) can still pass on the old status, and in the instant
  between the operator writing ``status.image`` and its phase leaving healthy, an
  image bump can too; a generation published by the operator, if a later version
  adds one, is honoured.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# API groups of CloudNativePG and of EDB's fork of it, which share the same status.
CNPG_GROUPS = ("postgresql.cnpg.io", "postgresql.k8s.enterprisedb.io")
KEYCLOAK_GROUP = "k8s.keycloak.org"
# cloudnative-pg v1.30.1 api/v1/cluster_types.go PhaseHealthy.
CNPG_HEALTHY = "Cluster in healthy state"


def group_of(obj):
    """The API group of an object: ``apps`` for ``apps/v1``, ``""`` for ``v1``."""
    api_version = obj.get("apiVersion") or ""
    return api_version.rpartition("/")[0]


def is_gate(obj):
    """Whether a wave waits for this object; every other object is ready once applied."""
    kind, group = obj.get("kind"), group_of(obj)
    if kind in ("Deployment", "StatefulSet", "Job"):
        return True
    if kind in ("Cluster", "Database"):
        return group in CNPG_GROUPS
    return kind == "Keycloak" and group == KEYCLOAK_GROUP


def condition(obj, condition_type):
    """The condition of that type in ``status.conditions``, or None."""
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item.get("type") == condition_type:
            return item
    return None


def condition_status(obj, condition_type):
    return (condition(obj, condition_type) or {}).get("status")


def _generation(obj):
    return (obj.get("metadata") or {}).get("generation")


def _observed(obj):
    """Workloads: the controller has seen the object's current generation."""
    status = obj.get("status") or {}
    generation = _generation(obj)
    return generation is None or status.get("observedGeneration", 0) >= generation


def stale_generation(obj, *conditions, required=False):
    """Why the status is not of the generation applied, or "" when it is.

    Each ``observedGeneration`` the operator publishes (in ``status`` and on each
    of ``conditions``) must reach ``metadata.generation``. With ``required``, at
    least one must be published: the operator is known to write it.
    """
    generation = _generation(obj)
    if generation is None:
        return ""
    published = [("status", (obj.get("status") or {}).get("observedGeneration"))]
    published.extend(("condition %s" % c.get("type"), c.get("observedGeneration")) for c in conditions if c)
    published = [(where, seen) for where, seen in published if seen is not None]
    if required and not published:
        return "the status names no observedGeneration (generation %s applied)" % generation
    for where, seen in published:
        if not isinstance(seen, int) or seen < generation:
            return "%s observedGeneration %s, generation %s applied" % (where, seen, generation)
    return ""


def _workload_reasons(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    if not _observed(obj):
        return ["observedGeneration %s, generation %s applied" % (status.get("observedGeneration"), _generation(obj))]
    if obj.get("kind") == "Deployment":
        counts = ("updatedReplicas", "availableReplicas", "replicas")
        return ["%s %s of %s" % (k, status.get(k, 0), wanted) for k in counts if status.get(k, 0) != wanted]
    # A StatefulSet's rollout is done as kubectl rollout status judges it (kubernetes v1.36
    # staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go, StatefulSetStatusViewer):
    # updatedReplicas (omitted when 0) equals the replicas, and for RollingUpdate without a
    # partition, currentRevision has become updateRevision. Until then readyReplicas may still
    # count the pod of the old revision (seen on kind: a broken update passed the gate at once).
    updated = status.get("updatedReplicas", 0)
    reasons = ["readyReplicas %s of %s" % (status.get("readyReplicas", 0), wanted)] if status.get("readyReplicas", 0) != wanted else []
    reasons += ["updatedReplicas %s of %s" % (updated, wanted)] if updated != wanted else []
    strategy = spec.get("updateStrategy") or {}
    rolling = strategy.get("type", "RollingUpdate") == "RollingUpdate" and not (strategy.get("rollingUpdate") or {}).get("partition")
    if rolling and status.get("updateRevision") and status.get("currentRevision") != status["updateRevision"]:
        reasons.append("currentRevision %s, updateRevision %s" % (status.get("currentRevision"), status["updateRevision"]))
    return reasons


def _keycloak_reasons(obj):
    ready, rolling = condition(obj, "Ready"), condition(obj, "RollingUpdate")
    reasons = []
    stale = stale_generation(obj, ready, required=True)
    if stale:
        reasons.append(stale)
    if (ready or {}).get("status") != "True":
        reasons.append("Ready is not True")
    if (rolling or {}).get("status") == "True":
        reasons.append("RollingUpdate is True")
    return reasons


def _database_reasons(obj):
    status = obj.get("status") or {}
    reasons = []
    stale = stale_generation(obj, required=True)
    if stale:
        reasons.append(stale)
    if status.get("applied") is not True:
        reasons.append("applied is %s" % status.get("applied"))
    return reasons


def _cluster_reasons(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ready = condition(obj, "Ready")
    reasons = []
    stale = stale_generation(obj, ready)
    if stale:
        reasons.append(stale)
    if (ready or {}).get("status") != "True":
        reasons.append("Ready is not True")
    if status.get("phase") != CNPG_HEALTHY:
        reasons.append("phase is not %r" % CNPG_HEALTHY)
    wanted = spec.get("instances", 1)  # the CRD's default
    if status.get("readyInstances") != wanted:
        reasons.append("readyInstances %s of %s" % (status.get("readyInstances", 0), wanted))
    if not status.get("currentPrimary") or status.get("currentPrimary") != status.get("targetPrimary"):
        reasons.append("currentPrimary %s, targetPrimary %s" % (status.get("currentPrimary"), status.get("targetPrimary")))
    if spec.get("imageName") and status.get("image") != spec["imageName"]:
        reasons.append("status.image is not the spec's imageName yet")
    return reasons


def not_ready_reasons(obj):
    """Why a gate is not ready, as short phrases; empty when it is ready (or is no gate)."""
    if not is_gate(obj):
        return []
    kind = obj.get("kind")
    if kind in ("Deployment", "StatefulSet"):
        return _workload_reasons(obj)
    if kind == "Job":
        return [] if condition_status(obj, "Complete") == "True" else ["Complete is not True"]
    if kind == "Keycloak":
        return _keycloak_reasons(obj)
    if kind == "Database":
        return _database_reasons(obj)
    return _cluster_reasons(obj)


def is_ready(obj):
    """Whether a gating object is ready at the generation applied."""
    return not not_ready_reasons(obj)


def has_failed(obj):
    """A gate that will never become ready by waiting: a Job that failed."""
    return obj.get("kind") == "Job" and condition_status(obj, "Failed") == "True"


def summary(obj):
    """Replica counts, conditions, phase (and a Database's message), in one line."""
    status = obj.get("status") or {}
    conditions = ", ".join("%s=%s" % (c.get("type"), c.get("status")) for c in status.get("conditions") or [])
    replicas = ["%s=%s" % (k, status[k]) for k in ("replicas", "readyReplicas", "availableReplicas") if k in status]
    message = status.get("message") if obj.get("kind") == "Database" else ""
    parts = (", ".join(replicas), conditions, status.get("phase", ""), message or "")
    return "; ".join(x for x in parts if x) or "none"
