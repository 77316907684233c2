# The ansible-core matrix (issue 21): ansible-test sanity (no ignore files) and the unit tests on
# every ansible-core minor version meta/runtime.yml's requires_ansible admits, each on a Python its
# controller supports, one row after another, each row in its own cached venv
# (hack/matrix/venv.sh). The first and the last row, the two ends, also converge the platform
# twice on the local control plane (second run changed=0).
# Included by the top-level Makefile; docs/ansible-core-matrix.md has the figures.

# ROW = ansible-core@Python. 2.20 and later need Python 3.12 (pyenv provides it).
MATRIX ?= 2.16.19@3.11 2.17.14@3.11 2.18.19@3.11 2.19.14@3.11 2.20.10@3.12 2.21.5@3.12
# The row of requirements.txt's pin: `make sanity` and `make units` run it, so the matrix does
# not run it twice and prints their latest result on its line (`make matrix MATRIX_COVERED=`
# runs it too).
MATRIX_COVERED ?= $(shell sed -n 's/^ansible-core==//p' requirements.txt)@3.11

# The last phase of `make test` (session 10). Projected on CI's 2-core runner, warm: about 14 to
# 19 min (five rows of sanity beside units, about 2 to 2.5 min a row now that the units' role
# renders share one ansible-playbook run a session, tests/helpers/render_batch.py; and the two
# ends' converges from nothing, 4 to 6 min); make test with it about 68 to 73 min of CI's 90
# (47 measured + 7 for the backup drill + the matrix). docs/ansible-core-matrix.md, "Session 10",
# gives the figures and what to drop first if CI's time gets tight (middle rows, never the ends).
# Held out of make test for one CI run (TEST_MATRIX=1 puts it in): that run is the first with
# the backup drill in molecule kind, whose images (the Barman Cloud Plugin's manager, a Go build,
# and its sidecar) CI builds cold once, which the projection above does not count.
TEST_MATRIX ?= 0
ifeq ($(TEST_MATRIX),1)
TEST_PHASES += matrix
endif

.PHONY: matrix matrix-quick
matrix: venv cluster-up local-storage local-keycloak ## ansible-core matrix: sanity and units on every supported minor, converge + idempotence on both ends
	hack/ensure-packages.sh shellcheck=shellcheck
	hack/matrix/run.sh --converge-ends $(addprefix --covered ,$(MATRIX_COVERED)) $(MATRIX)

matrix-quick: venv ## The ansible-core matrix without the two converges (no cluster needed)
	hack/ensure-packages.sh shellcheck=shellcheck
	hack/matrix/run.sh $(addprefix --covered ,$(MATRIX_COVERED)) $(MATRIX)
