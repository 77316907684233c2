# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of airgap.dify_platform.mirror_engine.

When the mirror host is the controller (a local connection without become), the step
runs here, in the worker: the module would cost a module build and an interpreter start,
about 0.6 s of CPU, for a step that reads one small file (issue 20: a rerun through
``ansible-playbook`` is mostly such fixed costs). Anywhere else, the module runs on the
mirror host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import runner

MODULE = "airgap.dify_platform.mirror_engine"


def run_sync(argv, stdin, env):
    proc = subprocess.run(argv, input=stdin.encode("utf-8"), capture_output=True, env=env, check=False)  # noqa: S603
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def _on_controller(self):
        return getattr(self._connection, "transport", None) == "local" and not self._play_context.become

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if not self._on_controller():
            result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        args = self.validate_argument_spec(argument_spec=runner.ARGUMENT_SPEC,
                                           mutually_exclusive=runner.MUTUALLY_EXCLUSIVE,
                                           required_one_of=runner.REQUIRED_ONE_OF)[1]
        # The task's environment (play, block and task `environment:`), as a module would get it.
        task_env = {}
        self._compute_environment_string(task_env)
        environ = dict(os.environ)
        environ.update((str(k), str(v)) for k, v in task_env.items())
        try:
            result.update(runner.step(args, self._task.check_mode, run_sync, environ=environ))
        except OSError as exc:
            raise AnsibleActionFail("the mirror engine could not be started: %s" % exc) from exc
        return result
