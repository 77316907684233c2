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

# Not yet a phase of `make test` (the line below stays commented): its one clean run took 23 min
# with each row's steps one after the other; with sanity beside units (hack/matrix/run.sh) the
# projection is 15 to 16 min on a free 2-core runner (23 on a busy one), and make test with it
# about 76 to 89 min of CI's 90
# (docs/ansible-core-matrix.md, session 9): the lead's call. The pin's row is already
# run by `sanity` and `units`; docs/ansible-core-matrix.md gives each row's cost and what to drop
# first (never the ends).
# TEST_PHASES += matrix

.PHONY: matrix matrix-quick
matrix: venv cluster-up local-storage local-keycloak ## ansible-core matrix: sanity and units on every supported minor, converge + idempotence on both ends
	hack/ensure-packages.sh shellcheck=shellcheck
	hack/matrix/run.sh --converge-ends $(addprefix --covered ,$(MATRIX_COVERED)) $(MATRIX)

matrix-quick: venv ## The ansible-core matrix without the two converges (no cluster needed)
	hack/ensure-packages.sh shellcheck=shellcheck
	hack/matrix/run.sh $(addprefix --covered ,$(MATRIX_COVERED)) $(MATRIX)
