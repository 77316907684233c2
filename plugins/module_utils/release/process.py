# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one copier process (crane, skopeo) with a timeout, letting the caller track it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess

TIMED_OUT = 124  # the exit status timeout(1) uses


def run_process(argv, env, timeout=None, on_start=None):
    """Run ``argv``; return (rc, stdout bytes, stderr bytes).

    ``on_start(process)`` gets the running process (so that an interrupt can
    stop it). When ``timeout`` seconds pass the process is killed and the
    status is 124, with the reason first in stderr.
    """
    # AnsibleModule.run_command has no timeout; a hung registry must not hang the run.
    # pylint: disable-next=ansible-bad-function
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603 - argv of the configured tool
                               env=env)  # pylint: disable=consider-using-with
    if on_start is not None:
        on_start(process)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        return TIMED_OUT, out, b"timed out after %ss\n" % str(timeout).encode() + err
    return process.returncode, out, err
