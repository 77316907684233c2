# The upgrade test on kind (issue 19, part 3): site.yml with release manifests A, B-bad and
# B-good on a kind cluster of its own (tests/integration/upgrade, docs/upgrade.md). It needs
# the node image and the Harbor stand-in with the kind inventory's images.
AIRGAP_UPGRADE_KIND_CLUSTER ?= airgap-upgrade
export AIRGAP_UPGRADE_KIND_CLUSTER

# Not a phase of `make test`: it needs a kind cluster of its own (about 9 min to create and prepare
# on this 2-core host) and took 30 min at load 60-145 (docs/upgrade.md); beside molecule-kind, which
# now converges every wave, it would leave too little of CI's 90 min. Run `make upgrade-kind`.

.PHONY: upgrade-kind
upgrade-kind: export IMAGES = redis squid standin
upgrade-kind: venv kind-image harbor-standin ## Upgrade A -> B on kind: backup first, a failing migration keeps A serving, a good one runs before the rollout
	AIRGAP_UPGRADE_KIND=1 hack/pytest.sh -s tests/integration/upgrade/test_upgrade_kind.py

.PHONY: test-upgrade
test-upgrade: venv ## Unit tests of the upgrade (detection, ordering, the pre-upgrade backup decision, the stand-in's migration flag)
	hack/pytest.sh tests/unit/upgrade
