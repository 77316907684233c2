# Molecule's kind scenario: the platform's waves on a real kind cluster (hack/kind), its pods
# pulled by digest from the Harbor stand-in (hack/images). Part of `make test`;
# docs/molecule-kind.md says which waves run and what is left.

# The scenario's own cluster, so `make kind-up`'s airgap-dify is left alone.
AIRGAP_KIND_MOLECULE_CLUSTER ?= airgap-molecule
# `test` (destroy, create, prepare, converge, idempotence, verify, destroy), or
# e.g. `converge`, `verify`, `destroy` to run one stage on a kept cluster.
MOLECULE_KIND_ACTION ?= test

# The images the scenario's waves run (hack/images recipes), built and pushed by its
# harbor-standin prerequisite and by prepare.yml's `make harbor-standin` (which inherits IMAGES):
# a recipe no wave uses, or one still being written, never holds the scenario up.
MOLECULE_KIND_IMAGES ?= redis squid standin postgres cnpg-operator litellm otel-collector seaweedfs keycloak oauth2-proxy static-web
# 1 (the default) adds the open_webui wave and its browser tests (molecule/kind/host_vars, verify.yml); its
# image (1.7 GB, hack/images/open-webui) is then built and pushed with the others. A whole run with it passed
# (docs/molecule-kind.md: session 9's run6, 24m09s); 0 leaves it out.
MOLECULE_KIND_OPEN_WEBUI ?= 1
ifeq ($(MOLECULE_KIND_OPEN_WEBUI),1)
MOLECULE_KIND_IMAGES += open-webui
endif

# 1 (the default) runs the backup and restore drill of issue 19 in verify (molecule/kind/tasks/verify_drill.yml,
# docs/backup-restore.md): backup.yml, restore.yml into <namespace>-restored beside every wave, the checks; its
# prepare builds and pushes the Barman Cloud Plugin's images (hack/kind/drill-backup.sh images). 0 leaves it out.
MOLECULE_KIND_DRILL ?= 1

.PHONY: molecule-kind
molecule-kind: export IMAGES = $(MOLECULE_KIND_IMAGES)
molecule-kind: export MOLECULE_KIND_OPEN_WEBUI := $(MOLECULE_KIND_OPEN_WEBUI)
molecule-kind: export MOLECULE_KIND_DRILL := $(MOLECULE_KIND_DRILL)
molecule-kind: venv kind-image harbor-standin ## Molecule kind scenario: real pods pulled by digest from the Harbor stand-in
	# verify.yml runs the browser tier's tests on this cluster (MOLECULE_KIND_BROWSER=0 skips them; docs/molecule-kind.md).
	hack/ensure-packages.sh chromium=chromium certutil=libnss3-tools unshare=util-linux
	cd $(REPO) && AIRGAP_KIND_CLUSTER=$(AIRGAP_KIND_MOLECULE_CLUSTER) $(BIN)/molecule $(MOLECULE_KIND_ACTION) -s kind
