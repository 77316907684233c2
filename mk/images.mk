# Workload images for the kind scenario (issue 15), built here from registries'
# packages at the versions release/manifest.yml pins, and the Harbor stand-in
# they are pushed to by digest. Recipes: hack/images/<name>/recipe.yml; notes:
# docs/kind-images.md. Included by the top-level Makefile (include mk/*.mk).
# Everything lands in $(AIRGAP_CACHE)/images and $(AIRGAP_CACHE)/harbor-standin.

IMAGES ?=
IMAGES_FLAGS ?=
IMAGES_CONTAINERS_CONF := $(AIRGAP_CACHE)/images/containers.conf
HARBOR_STANDIN_PORT ?= 5443
export HARBOR_STANDIN_PORT

# podman from Debian needs runc (crun refuses the hybrid cgroups here) and no
# default ulimits (../shared/notes/real-node/kind.md); the file lives in the cache, not /etc.
$(IMAGES_CONTAINERS_CONF):
	mkdir -p $(dir $@)
	printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > $@

.PHONY: images-tools
images-tools: $(IMAGES_CONTAINERS_CONF) ## Install podman, runc, mmdebstrap, skopeo and htpasswd (idempotent)
	hack/ensure-packages.sh podman=podman runc=runc mmdebstrap=mmdebstrap skopeo=skopeo htpasswd=apache2-utils

.PHONY: images
images: venv images-tools ## Build the kind scenario's workload images (IMAGES="redis squid" for some); warm runs rebuild nothing
	CONTAINERS_CONF=$(IMAGES_CONTAINERS_CONF) $(BIN)/python hack/images/build.py build $(IMAGES) $(IMAGES_FLAGS)

.PHONY: harbor-standin
harbor-standin: images mirror-tools ## Start the Harbor stand-in (TLS, robot account) and push every built image by digest
	CONTAINERS_CONF=$(IMAGES_CONTAINERS_CONF) $(BIN)/python hack/images/harbor_standin.py push

.PHONY: harbor-standin-down
harbor-standin-down: ## Stop the Harbor stand-in (its storage stays in the cache)
	$(BIN)/python hack/images/harbor_standin.py down

.PHONY: test-images
test-images: venv ## Unit tests of the image recipes, the OCI writer and the stand-in server
	hack/pytest.sh tests/unit/images

.PHONY: images-smoke-keycloak
images-smoke-keycloak: images ## Start the Keycloak image for real on the PostgreSQL image (start --optimized, arbitrary UID, read-only roots)
	CONTAINERS_CONF=$(IMAGES_CONTAINERS_CONF) hack/images/smoke-keycloak-postgres.sh

.PHONY: images-smoke-litellm
images-smoke-litellm: images ## LiteLLM's image on the PostgreSQL image: the migration Job's command (twice), readiness with the database, authenticated calls
	CONTAINERS_CONF=$(IMAGES_CONTAINERS_CONF) hack/images/smoke-litellm-postgres.sh
