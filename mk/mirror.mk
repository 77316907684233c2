# Air-gap mirroring (issue 7): copier tools, focused tests and the benchmark.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.
# Tools are built or installed into $(AIRGAP_CACHE)/tools by tests/harness/registry/build.sh:
# distribution's registry and crane from their Go modules, skopeo and htpasswd from Debian.

MIRROR_BENCH_CONCURRENCY ?= 4
MIRROR_BENCH_FLAGS ?= --playbook

.PHONY: mirror-tools
mirror-tools: ## Build/install the mirror's tools (registry, crane, skopeo) into the cache (idempotent)
	tests/harness/registry/build.sh

.PHONY: test-mirror
test-mirror: venv mirror-tools ## Unit and integration tests of the mirror, Harbor modules and release manifest code
	hack/pytest.sh tests/unit/mirror tests/integration/mirror

.PHONY: bench-mirror
bench-mirror: venv mirror-tools ## Benchmark: 20 images (~1 GB) registry->disk->registry vs a sequential skopeo loop; rerun
	$(BIN)/python hack/bench/mirror_bench.py --concurrency $(MIRROR_BENCH_CONCURRENCY) $(MIRROR_BENCH_FLAGS)

.PHONY: bench-bundle
bench-bundle: venv ## Size and time of each bundle part (collection, dependencies, wheels per Python, Dify plugins), each alone
	$(BIN)/python hack/bench/bundle_parts.py

.PHONY: test-bundle
test-bundle: venv mirror-tools ## The bundle (collections, wheels, EE context, Dify plugin offline install): unit and integration tests
	hack/pytest.sh tests/unit/mirror/test_mirror_bundle.py tests/integration/mirror/test_mirror_bundle.py \
	  tests/integration/mirror/test_mirror_bundle_module.py tests/integration/mirror/test_dify_plugin_offline.py \
	  tests/integration/mirror/test_mirror_imageset.py tests/integration/mirror/test_mirror_plugin_index.py tests/integration/ee
