# Local "embedded" control plane (hack/localcluster): kube-apiserver, etcd, controller
# manager, scheduler and kwok built from published Go modules into $(AIRGAP_CACHE)/bin.
# Included by the top-level Makefile; also usable alone: make -f mk/cluster.mk cluster-up

AIRGAP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/airgap-dify-platform
export AIRGAP_CACHE
LOCALCLUSTER ?= hack/localcluster

.PHONY: cluster-build cluster-crds cluster-up cluster-down cluster-status cluster-smoke
cluster-build: ## Build the control-plane binaries (fast when warm)
	$(LOCALCLUSTER)/build.sh

cluster-crds: ## Fetch the real OpenShift/operator CRDs into the cache
	$(LOCALCLUSTER)/crds.sh

cluster-up: ## Start the local control plane (idempotent); prints KUBECONFIG=...
	$(LOCALCLUSTER)/up.sh

cluster-down: ## Stop everything the demo started, by the PIDs it recorded: control plane, loopback Keycloak (JVM included), Harbor stand-in, default kind cluster
	PYTHON=$(or $(wildcard $(BIN)/python),python3) hack/down.sh

cluster-status: ## Component health, nodes and kubeconfig path of the local control plane
	$(LOCALCLUSTER)/status.sh

cluster-smoke: cluster-up ## Smoke-check the local control plane
	$(LOCALCLUSTER)/smoke.sh
