# Keycloak modules (issue 3): benchmark and focused test targets.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.

KEYCLOAK_BENCH_CLIENTS ?= 50
KEYCLOAK_BENCH_REPEAT ?= 3

.PHONY: bench-keycloak
bench-keycloak: venv ## Benchmark keycloak_client vs community.general on 50 clients against a real Keycloak
	$(BIN)/python hack/bench/keycloak_bench.py --clients $(KEYCLOAK_BENCH_CLIENTS) --repeat $(KEYCLOAK_BENCH_REPEAT)

.PHONY: test-keycloak
test-keycloak: venv ## Unit and integration tests of the Keycloak modules only
	hack/pytest.sh tests/unit/keycloak tests/integration/keycloak
