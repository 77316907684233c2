# kind on this machine (podman; docker where a Docker engine answers): a node image built here
# from Debian packages and the binaries of `make cluster-build`, one control plane and two
# workers, kube-router for pod routes and NetworkPolicy. See hack/kind/README.md.

KIND_SCRIPTS ?= hack/kind

.PHONY: kind-tools kind-image kind-up kind-down kind-probe kind-cnpg-drill
kind-tools: ## Build kind, CoreDNS and kube-router into the cache (fast when warm)
	$(KIND_SCRIPTS)/build-tools.sh

kind-image: cluster-build kind-tools ## The kind node image, built here; rebuilt only when an input changed
	$(KIND_SCRIPTS)/node-image.sh

kind-up: kind-image ## Create the kind cluster (idempotent); prints KUBECONFIG=...
	$(KIND_SCRIPTS)/up.sh

kind-down: ## Delete the kind cluster and check that nothing is left behind (idempotent)
	$(KIND_SCRIPTS)/down.sh

kind-probe: kind-up ## NetworkPolicy across nodes on kind: one client refused, one allowed
	$(KIND_SCRIPTS)/netpol-probe.sh

# Its own cluster by default (airgap-cnpg), so it never disturbs the scenario's: docs/kind-cnpg.md.
kind-cnpg-drill: export AIRGAP_KIND_CLUSTER ?= airgap-cnpg
kind-cnpg-drill: venv images-tools kind-up ## CloudNativePG v1.30.1 for real on kind: operator, 2-instance Cluster, a worker stopped, failover timed
	PYTHON=$(BIN)/python $(KIND_SCRIPTS)/cnpg-drill.sh $(CNPG_DRILL)
