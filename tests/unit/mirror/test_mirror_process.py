"""The copier process runner shared by crane and skopeo: output, tracking, and the timeout."""

import sys

from ansible_collections.airgap.dify_platform.plugins.module_utils.release.process import TIMED_OUT, run_process


def test_status_and_output_come_back_and_the_caller_sees_the_process():
    started = []
    rc, out, err = run_process([sys.executable, "-c", "import sys; print('out'); sys.stderr.write('err'); sys.exit(3)"],
                               env=None, timeout=30, on_start=started.append)
    assert (rc, out, err) == (3, b"out\n", b"err")
    assert len(started) == 1 and started[0].returncode == 3


def test_a_process_past_its_timeout_is_killed_with_status_124():
    rc, _out, err = run_process([sys.executable, "-c", "import sys, time; sys.stderr.write('partial'); sys.stderr.flush(); time.sleep(30)"],
                                env=None, timeout=1)
    assert rc == TIMED_OUT == 124
    assert err.startswith(b"timed out after 1s\n") and err.endswith(b"partial")
