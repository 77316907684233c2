# The connectivity contract (issue 14): every connection the rendered platform needs,
# for every option combination, judged against the rendered NetworkPolicies by cyclonus.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.
# cyclonus is built from its published Go module into $(AIRGAP_CACHE)/bin by
# hack/tools/cyclonus.sh (pinned there; skipped when already built).

.PHONY: cyclonus
cyclonus: ## Build the NetworkPolicy engine cyclonus from its Go module into the cache (idempotent)
	hack/tools/cyclonus.sh >/dev/null

.PHONY: connectivity
connectivity: venv cyclonus ## Connectivity contract: derived flows vs rendered NetworkPolicies; prints the matrix
	hack/pytest.sh tests/connectivity
