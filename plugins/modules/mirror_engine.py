#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mirror_engine
short_description: Start, follow or plan one run of the mirror engine
version_added: 0.1.0
description:
  - The step of the C(airgap.dify_platform.mirror) role that runs its engine
    (C(plugins/module_utils/release), its own process).
  - With O(params), start a run detached, so that a copy may outlive the task, and wait for it
    at most O(timeout) seconds. With O(pid), wait for that run again. The answer holds the run's
    progress line and, once it ended, the engine's report.
  - In check mode, O(params) plans the run instead and waits for the plan. The plan contacts
    the registries and writes nothing.
  - The role calls this. Its options are the engine's parameters, listed in C(plugins/module_utils/release/cli.py).
  - An action plugin. When the mirror host is the controller (a local connection without become),
    the step runs in the controller's process, with no module sent or started. Otherwise this module runs
    on the mirror host, which must hold the engine in O(pythonpath) (the role copies it there).
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
attributes:
  check_mode:
    support: full
    description: O(params) plans the run. The engine contacts the registries, and writes nothing.
  diff_mode:
    support: none
    description: The engine's report lists what was or would be copied.
  action:
    support: full
    description: Runs in the controller's process when the mirror host is the controller.
  async:
    support: none
    description: The run is detached by the engine itself; O(pid) follows it.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host with Python 3 (the engine uses the standard library only).
options:
  params:
    description:
      - The engine's parameters (C(mode), C(manifest), credentials and the rest, as in C(plugins/module_utils/release/cli.py)).
      - O(directory), O(token), the check mode and the credentials are set from this module's own options.
    type: dict
  dest_password:
    description: The password of the engine's C(dest_username) at the mirror registry.
    type: str
  source_credentials:
    description: Credentials for the source registries.
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description: The registry's host (and port).
        type: str
        required: true
      username:
        description: The user name there.
        type: str
        required: true
      password:
        description: Its password.
        type: str
        required: true
  pid:
    description: Follow the run started with this process id.
    type: int
  directory:
    description: The run's directory (C(mirror_dir)). Its progress and its report are written there.
    type: path
    required: true
  token:
    description: The run's name. Its progress and its report carry it.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the run to end before answering with its progress.
    type: int
    default: 20
  run_timeout:
    description: Seconds after which a started run stops itself and its copies (V(0) never).
    type: int
    default: 0
  python:
    description: The Python that runs the engine. The default is the one running this step.
    type: str
  pythonpath:
    description: The directory that holds C(ansible_collections/) with the engine. The default is this collection's own location.
    type: path
notes:
  - Start and follow are never C(changed). The role's summary task reports what the run changed.
"""

EXAMPLES = r"""
- name: Start the copy and wait for it at most 20 seconds
  airgap.dify_platform.mirror_engine:
    params: "{{ engine_parameters }}"
    directory: /var/lib/airgap-mirror
    token: run1
    timeout: 20
  register: run
  no_log: true

- name: Wait for it again
  airgap.dify_platform.mirror_engine:
    pid: "{{ run.pid }}"
    directory: /var/lib/airgap-mirror
    token: run1
  register: run
  when: not run.finished
"""

RETURN = r"""
finished:
  description: Whether the run (or the plan) ended.
  returned: always
  type: bool
line:
  description: The run's last progress line.
  returned: always
  type: str
  sample: "copying: 12/20 images (3 already there, 0 failed), 402.1 MiB of 954.4 MiB, 14s - running: dify-api"
pid:
  description: The process id of the detached run.
  returned: when a run was started or followed
  type: int
engine_rc:
  description: The engine's exit status (0 done, 1 the run failed, 2 bad parameters, 3 an error of the system).
  returned: when the run ended
  type: int
report:
  description: The engine's report (summary, images, what was written), or its error (C(failed), C(msg)).
  returned: when the run ended with an answer
  type: dict
output:
  description: The end of what the engine printed when it gave no answer.
  returned: when the run ended without an answer
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.release import runner


def main():
    module = AnsibleModule(argument_spec=runner.ARGUMENT_SPEC, mutually_exclusive=runner.MUTUALLY_EXCLUSIVE,
                           required_one_of=runner.REQUIRED_ONE_OF, supports_check_mode=True)

    def run_sync(argv, stdin, env):
        return module.run_command(argv, data=stdin, binary_data=True, environ_update=env)

    try:
        result = runner.step(module.params, module.check_mode, run_sync)
    except OSError as exc:
        module.fail_json(msg="the mirror engine could not be started: %s" % exc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
