# The backup and restore drill on kind (issue 19, docs/backup-restore.md): the real CloudNativePG
# operator and Barman Cloud Plugin built here, SeaweedFS S3 with TLS as a pod, backup.yml then
# restore.yml into an empty namespace, every step timed (tests/output/backup-kind-drill.json).
# Not a phase of make test: it needs a kind cluster of its own and costs far more than a phase
# may (the figure is in docs/backup-restore.md). Its own cluster by default, never another's.
.PHONY: backup-kind-drill backup-kind-drill-down
backup-kind-drill: export AIRGAP_KIND_CLUSTER ?= airgap-drill
# The engine as every kind target chooses it (mk/kind.mk KIND_ENGINE, hack/kind/engine.sh):
# AIRGAP_KIND_PROVIDER=auto|docker|podman, or kind's own KIND_EXPERIMENTAL_PROVIDER.
backup-kind-drill backup-kind-drill-down: export KIND_EXPERIMENTAL_PROVIDER ?= $(KIND_ENGINE)
backup-kind-drill: venv images-tools mirror-tools kind-image ## Backup and restore drill on kind with the real operator and plugin (33 min here at load 35-100)
	$(KIND_SCRIPTS)/up.sh >/dev/null
	AIRGAP_BACKUP_KIND_DRILL=1 PYTHON=$(BIN)/python hack/pytest.sh -s tests/integration/backup_kind

backup-kind-drill-down: export AIRGAP_KIND_CLUSTER ?= airgap-drill
backup-kind-drill-down: ## Delete the drill's kind cluster
	$(KIND_SCRIPTS)/down.sh
