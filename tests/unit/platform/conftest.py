"""Fixtures shared by the platform's render-level tests."""

import pytest

from helpers.workloads import SCENARIOS, render_scenarios


@pytest.fixture(scope="session")
def workloads():
    """{scenario: [objects]}: every role's workload templates, rendered once per scenario."""
    return render_scenarios(SCENARIOS)
