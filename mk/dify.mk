# Dify apps as code: the benchmark of the backup and restore playbooks (against the fake console API).

DIFY_BENCH_APPS ?= 200
DIFY_BENCH_IMPORT_APPS ?= 50

.PHONY: bench-dify
bench-dify: venv ## Benchmark: export 200 Dify apps twice, import 50 unchanged; request counts and times
	$(BIN)/python hack/bench/dify_bench.py --apps $(DIFY_BENCH_APPS) --import-apps $(DIFY_BENCH_IMPORT_APPS)
