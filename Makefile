# airgap.dify_platform: the single entry point for the demo, every test tier and the benchmarks.
# Everything built or downloaded goes to $(CACHE), outside the repo, so warm runs are fast.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CACHE ?= $(or $(AIRGAP_CACHE),$(HOME)/.cache/airgap-dify-platform)
export AIRGAP_CACHE := $(abspath $(CACHE))
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

PYTHON ?= python3
VENV_ID := $(shell cat requirements.txt | sha256sum | cut -c1-12)
VENV ?= $(AIRGAP_CACHE)/venv-$(VENV_ID)
VENV_STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

# The collection is importable as ansible_collections.airgap.dify_platform through this path,
# one per checkout (keyed by its path), so that two clones sharing the cache never see each other.
REPO_KEY := $(shell printf '%s' '$(realpath $(REPO))' | sha256sum | cut -c1-12)
COLLECTIONS_ROOT := $(AIRGAP_CACHE)/collections/$(REPO_KEY)
COLLECTION_LINK := $(COLLECTIONS_ROOT)/ansible_collections/airgap/dify_platform
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_ROOT):$(VENV)/lib/python3.11/site-packages
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export PATH := $(BIN):$(AIRGAP_CACHE)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The local control plane's kubeconfig (written by `make cluster-up`), for
# kubectl and for every kubernetes.core module.
export KUBECONFIG := $(AIRGAP_CACHE)/kubeconfig
export K8S_AUTH_KUBECONFIG := $(KUBECONFIG)

# The phases of `make test`, in order (a mk/*.mk may append one: TEST_PHASES += ...). Each is
# timed; the table of every phase's cold and warm cost ends the run (hack/phases/).
TEST_PHASES := lint sanity units changelog-lint test-rules connectivity integration browser molecule molecule-kind

include $(wildcard mk/*.mk)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The venv path carries the hash of requirements.txt, so a change makes a new one.
$(VENV_STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

.PHONY: venv
venv: $(VENV_STAMP) $(COLLECTION_LINK) ## Install the pinned Python toolchain (idempotent)
	@ln -sfn $(VENV) $(REPO)/.venv

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(REPO) $@

.PHONY: lint
lint: venv ## ansible-lint (production profile), ruff, yamllint
	$(BIN)/yamllint -s .
	$(BIN)/ruff check .
	$(BIN)/ansible-lint --profile production --strict

.PHONY: sanity
sanity: venv ## ansible-test sanity on a copy at ansible_collections/airgap/dify_platform
	hack/ensure-packages.sh shellcheck=shellcheck
	hack/sanity.sh

.PHONY: units
units: venv ## Unit tests (pure logic)
	hack/pytest.sh tests/unit

.PHONY: integration
integration: venv ## Module tests against real services (fakes only for Dify and Harbor)
	hack/ensure-packages.sh nginx=nginx-light redis-server=redis-server
	hack/pytest.sh tests/integration

.PHONY: molecule
molecule: venv cluster-build local-keycloak litellm-prepare ## Molecule default scenario on the local control plane
	cd $(REPO) && $(BIN)/molecule test -s default

.PHONY: changelog-lint
changelog-lint: venv ## Check the changelog fragments
	$(BIN)/antsibull-changelog lint

.PHONY: test
test: ## Every test tier (TEST_PHASES), then the table of each phase's cold and warm cost
	hack/phases/run.sh $(TEST_PHASES)

.PHONY: phases
phases: ## The table of each phase's cold and warm cost, from the runs of `make test` this cache saw
	@python3 hack/phases/table.py venv promtool cyclonus cluster-build $(TEST_PHASES)

.PHONY: local-keycloak
local-keycloak: venv ## Start the loopback Keycloak that stands in for the cluster's (idempotent)
	$(BIN)/python hack/local_keycloak.py start

.PHONY: local-storage
local-storage: cluster-up ## The PersistentVolume pool of the local control plane (idempotent)
	hack/local_storage.sh

.PHONY: demo demo-kind demo-kwok
demo: venv ## The platform running: on kind (real pods) where podman or docker works, else on kwok, saying why (AIRGAP_DEMO=kind|kwok forces one)
	hack/demo/run.sh

demo-kind: venv kind-up ## The platform's waves on real pods in the kind cluster, then its pods and the live connectivity matrix
	hack/demo/kind.sh

demo-kwok: venv cluster-up local-storage local-keycloak ## Bring up the local control plane and install every wave on it
	$(BIN)/ansible-playbook -i inventories/local playbooks/site.yml

.PHONY: bench-deploy
bench-deploy: venv cluster-build local-keycloak ## Cold and no-op converge of every wave, against kubectl apply --server-side
	hack/bench/deploy.sh

.PHONY: clean
clean: ## Remove local leftovers (the cache stays; `make distclean` removes it)
	rm -rf .venv .pytest_cache .ruff_cache tests/output

.PHONY: clean-cache
clean-cache: cluster-down ## Stop what runs from the cache, then delete the cache (all of it: the next run is cold)
	rm -rf $(AIRGAP_CACHE)

.PHONY: distclean
distclean: clean clean-cache ## Remove the local leftovers and the cache
