"""The unit tests' renders share ansible-playbook runs (tests/helpers/render_batch.py).

The session's batch renders what the collected unit-test files rendered in their last session;
the plan for the next session is saved when this one ends with its tests run (passed or failed).
"""

from pathlib import Path

from helpers.render_batch import session as renders

UNIT = Path(__file__).resolve().parent
_deselected = set()


def _unit_file(item):
    path = Path(str(item.path)).resolve()
    return item.nodeid.split("::")[0] if UNIT in path.parents else None


def pytest_deselected(items):
    _deselected.update(name for name in map(_unit_file, items) if name)


def pytest_collection_finish(session):
    files = set(name for name in map(_unit_file, session.items) if name)
    renders.start(files, _deselected & files)


def pytest_sessionfinish(session, exitstatus):
    if exitstatus in (0, 1):  # every selected test ran (a failed test's renders are still its renders)
        renders.save()


def pytest_terminal_summary(terminalreporter):
    if renders.figures:
        terminalreporter.write_line("role renders: " + ", ".join(
            "%s %d" % (name, count) for name, count in sorted(renders.figures.items())))
