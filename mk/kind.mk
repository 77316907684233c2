# kind on this machine (podman; docker where a Docker engine answers): a node image built here
# from Debian packages and the binaries of `make cluster-build`, one control plane and two
# workers, kube-router for pod routes and NetworkPolicy. See hack/kind/README.md.

KIND_SCRIPTS ?= hack/kind

# The engine: auto is docker where a Docker engine answers `docker version` (and is not podman
# behind the Docker API), else podman (hack/kind/engine.sh). `make kind-up AIRGAP_KIND_PROVIDER=docker`
# (or podman) decides.
AIRGAP_KIND_PROVIDER ?= auto
export AIRGAP_KIND_PROVIDER
# The kind scenario's playbooks and the browser tier read kind's own variable (molecule/kind
# prepare.yml and verify.yml, tests/browser/kind/setup.sh: `<engine> exec|stop` on the nodes):
# give them the engine the scripts choose, probed once per make run, only for those targets.
# (hack/demo/kind.sh and cnpg-drill.sh choose it themselves, through lib.sh.)
# ($(shell) sees the environment make started with, not its exports: the choice is passed.)
KIND_ENGINE = $(eval KIND_ENGINE := $(shell AIRGAP_KIND_PROVIDER='$(AIRGAP_KIND_PROVIDER)' $(KIND_SCRIPTS)/engine.sh))$(KIND_ENGINE)
molecule-kind browser-kind: export KIND_EXPERIMENTAL_PROVIDER ?= $(KIND_ENGINE)

.PHONY: kind-tools kind-image kind-up kind-down kind-probe kind-waves kind-cnpg-drill kind-docker-check
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

# Some waves of inventories/kind (AIRGAP_KIND_WAVES, default "foundation redis") on real pods, with
# the CRDs, the stand-in's trust and the volumes they need; the second converge must change nothing.
kind-waves: venv kind-up ## Converge foundation and redis on the kind cluster (Harbor stand-in running), twice, the second changed=0
	PYTHON=$(BIN)/python $(KIND_SCRIPTS)/waves.sh

# Its own cluster by default (airgap-cnpg), so it never disturbs the scenario's: docs/kind-cnpg.md.
kind-cnpg-drill: export AIRGAP_KIND_CLUSTER ?= airgap-cnpg
kind-cnpg-drill: venv images-tools kind-up ## CloudNativePG v1.30.1 for real on kind: operator, 2-instance Cluster, a worker stopped, failover timed
	PYTHON=$(BIN)/python $(KIND_SCRIPTS)/cnpg-drill.sh $(CNPG_DRILL)

# On a host with no Docker engine: the docker path for real, through a private dockerd on its own
# socket (podman and every other cluster untouched), then nothing left and dockerd stopped.
# Where Docker runs already, `make kind-up` uses it (or AIRGAP_KIND_PROVIDER=docker).
kind-docker-check: cluster-build kind-tools ## kind's docker provider end to end on a private dockerd: image, cluster, NetworkPolicy, delete, nothing left
	$(KIND_SCRIPTS)/docker-check.sh
