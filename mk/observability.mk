# Observability (issue 8): promtool and the alert-rule tests.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.
# promtool is built from Prometheus' Go module into $(AIRGAP_CACHE)/bin by
# hack/tools/promtool.sh (pinned there; skipped when already built). The pytest
# part reads the PrometheusRule CRD (cluster-crds) and the metric catalogue,
# which needs the installed LiteLLM package (litellm-prepare).

PROMTOOL := $(AIRGAP_CACHE)/bin/promtool
RULES_OUT := $(REPO)/tests/output/rules

.PHONY: promtool
promtool: ## Build promtool from its published Go module into the cache (idempotent)
	hack/tools/promtool.sh >/dev/null

.PHONY: test-rules
test-rules: venv promtool cluster-crds litellm-prepare ## Render the PrometheusRules, promtool check + unit tests, metric names against the catalogue
	$(BIN)/ansible-playbook -i localhost, tests/rules/render.yml -e rules_dir=$(RULES_OUT)
	$(PROMTOOL) check rules $(RULES_OUT)/groups/*.yml
	$(PROMTOOL) test rules tests/rules/*.test.yml
	hack/pytest.sh tests/rules
