"""Run real tasks through ansible-playbook and return each task's result.

Integration tests call modules exactly as users do: a playbook on localhost,
with check mode and diff when asked, and the json callback so that the test
reads every task's result (changed, diff, return values) as data.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from helpers.paths import COLLECTIONS_ROOT

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    def __init__(self, returncode, output, stderr):
        self.returncode = returncode
        self.stdout = output
        self.stderr = stderr
        # With -v and more, ansible prints lines before the json callback's document.
        start = output.find("\n{") + 1 if not output.lstrip().startswith("{") else output.find("{")
        self.data = json.loads(output[start:]) if start >= 0 and output[start:].strip().startswith("{") else {}

    @property
    def results(self):
        """One dict per task, in order: the module's return values for localhost."""
        results = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                host = task.get("hosts", {}).get("localhost")
                if host is not None:
                    host = dict(host)
                    host["_task"] = task["task"]["name"]
                    results.append(host)
        return results

    def host_results(self, host):
        """{task name: result} of every task that ran on ``host``, in any play."""
        return dict((task["task"]["name"], task["hosts"][host]) for play in self.data.get("plays", [])
                    for task in play.get("tasks", []) if host in task.get("hosts", {}))

    @property
    def stats(self):
        return self.data.get("stats", {}).get("localhost", {})

    def result(self, name):
        for item in self.results:
            if item["_task"] == name:
                return item
        raise KeyError("no task named %r in the run; tasks: %s" % (name, [r["_task"] for r in self.results]))


def _environment(extra_env=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    })
    env.update(extra_env or {})
    return env


def _run(plays, inventory, options=(), extra_env=None):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "play.yml"
        path.write_text(yaml.safe_dump(plays, sort_keys=False))
        cmd = [ANSIBLE_PLAYBOOK, "-i", inventory, "-c", "local", str(path), *options]
        proc = subprocess.run(cmd, env=_environment(extra_env), capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def run_tasks(tasks, check=False, diff=False, extra_env=None, verbosity=0, module_defaults=None):
    """Run ``tasks`` (a list of task dicts) on localhost and return a :class:`PlaybookRun`."""
    play = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
    options = []
    if check:
        options.append("--check")
    if diff:
        options.append("--diff")
    if verbosity:
        options.append("-" + "v" * verbosity)
    return _run([play], "localhost,", options, extra_env)


def run_plays(plays, hosts):
    """Run ``plays`` in one ansible-playbook run, with ``hosts`` as the inventory (each on the local connection).

    A host that fails leaves the plays of the other hosts running: give each independent case
    a play on a host of its own, and read its results with :meth:`PlaybookRun.task_result`.
    """
    return _run(plays, ",".join(hosts) + ",")
