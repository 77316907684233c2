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

    @property
    def stats(self):
        return self.data.get("stats", {}).get("localhost", {})

    def result(self, name):
        for item in self.results:
            if item["_task"] == name:
                return item
        raise KeyError("no task named %r in the run; tasks: %s" % (name, [r["_task"] for r in self.results]))


def run_tasks(tasks, check=False, diff=False, extra_env=None, verbosity=0, module_defaults=None):
    """Run ``tasks`` (a list of task dicts) on localhost and return a :class:`PlaybookRun`."""
    play = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "play.yml"
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", str(path)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)
