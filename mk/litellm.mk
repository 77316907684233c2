# LiteLLM modules (issue 6): benchmark, focused tests and the real-proxy test harness.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.
# The harness (tests/harness/litellm, see its README.md) builds into $(AIRGAP_CACHE)/litellm.

LITELLM_BENCH_USERS ?= 1000
LITELLM_BENCH_DRIFT ?= 10

.PHONY: bench-litellm
bench-litellm: venv ## Benchmark litellm_key_sync: 1,000 users with a key each, cold / no-op / 10 drifted, real proxy
	$(BIN)/python hack/bench/litellm_bench.py --users $(LITELLM_BENCH_USERS) --drift $(LITELLM_BENCH_DRIFT)

.PHONY: test-litellm
test-litellm: venv ## Unit and integration tests of the LiteLLM modules only
	hack/pytest.sh tests/unit/litellm tests/integration/litellm

.PHONY: litellm-prepare
litellm-prepare: venv ## Build the LiteLLM harness caches (venv, npm packages, Prisma client) without starting it
	$(BIN)/python tests/harness/litellm/litellm_harness.py prepare

.PHONY: litellm-up
litellm-up: venv ## Start PostgreSQL and a real LiteLLM proxy in the foreground; prints URL and master key
	$(BIN)/python tests/harness/litellm/litellm_harness.py serve
