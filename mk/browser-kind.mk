# The SSO path in real Chromium through REAL PODS on kind (issue 16 item 2, issue 15): the router
# pod (tests/router config from the Route objects), the oauth2_proxy role's OAuth2-Proxy pod, a
# Keycloak 26.7.3 pod (the image built here), the Dify stand-in pods; NetworkPolicy enforced by
# kube-router. docs/browser-kind.md. Screenshots and logs in tests/output/browser/kind/.
# Included by the top-level Makefile (include mk/*.mk); uses its VENV/BIN/REPO.

# Not a phase of `make test` any more: molecule-kind's verify runs these tests on its own cluster,
# which already has Keycloak, the router and the converged platform (docs/molecule-kind.md; measured
# there: 6 passed, 1 skipped in 89 s, against this tier's 3m33s warm with a cluster of its own).
# This target stays the developer's run: its own cluster, every test, SSO_KIND_BREAK. The cluster
# is kept for the next run (warm: about 4 min); make browser-kind-down deletes it.

# The tier's own cluster and the host address kind maps to the router's NodePorts.
AIRGAP_KIND_BROWSER_CLUSTER ?= airgap-sso
AIRGAP_KIND_BROWSER_INGRESS ?= 127.0.78.1

.PHONY: browser-kind
browser-kind: venv kind-image ## SSO in Chromium through the real router, OAuth2-Proxy, Keycloak and Dify stand-in pods on kind
	hack/ensure-packages.sh chromium=chromium certutil=libnss3-tools unshare=util-linux
	AIRGAP_KIND_CLUSTER=$(AIRGAP_KIND_BROWSER_CLUSTER) AIRGAP_KIND_INGRESS_ADDRESS=$(AIRGAP_KIND_BROWSER_INGRESS) \
	  tests/browser/kind/setup.sh
	# The tests (and the playbook they run) resolve the Route hosts through a private /etc/hosts.
	AIRGAP_KIND_CLUSTER=$(AIRGAP_KIND_BROWSER_CLUSTER) unshare --mount --propagation private \
	  sh -c 'mount --bind "$$0" /etc/hosts && exec "$$@"' tests/browser/kind/hosts \
	  hack/pytest.sh tests/browser/test_sso_kind.py

.PHONY: browser-kind-down
browser-kind-down: ## Delete the browser tier's kind cluster
	AIRGAP_KIND_CLUSTER=$(AIRGAP_KIND_BROWSER_CLUSTER) hack/kind/down.sh
