"""Helpers for the Dify module tests: constants, a task runner and a playbook runner.

Test modules import this by name, and load the fixtures of dify_fixtures.py with
``pytest_plugins``. Neither is a conftest.py: a second module named ``conftest`` would
shadow tests/conftest.py, which helpers/playbook.py imports by that name.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers.paths import COLLECTIONS_ROOT
from helpers.playbook import ANSIBLE_PLAYBOOK, PlaybookRun, run_tasks

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dify-dsl"
SOURCES = FIXTURES / "source"
EXPORTS = FIXTURES / "exported-by-dify-1.15"
EMAIL = "admin@example.com"
PASSWORD = "Adm1n-S3cret-Pw"
GROUP = "group/airgap.dify_platform.dify"

CHAT_DSL = """\
app:
  name: faq-chat
  mode: chat
  icon: 🤖
  icon_background: '#FFEAD5'
  description: answers FAQs
kind: app
version: 0.6.0
model_config:
  model:
    provider: langgenius/openai/openai
    name: gpt-4o-mini
    mode: chat
    completion_params:
      temperature: 0.3
  pre_prompt: You answer questions about the product.
  opening_statement: Hello!
  suggested_questions:
    - What does it cost?
"""


def connection(fake, **extra):
    params = {"url": fake.url, "email": EMAIL, "password": PASSWORD, "retries": 1}
    params.update(extra)
    return dict((k, v) for k, v in params.items() if v is not None)


def run(fake, tasks, check=False, diff=False, verbosity=0, **conn):
    """Run ``tasks`` with the connection to ``fake`` set once through the action group."""
    result = run_tasks(tasks, check=check, diff=diff, verbosity=verbosity,
                       module_defaults={GROUP: connection(fake, **conn)})
    if not result.data and "\n{\n" in result.stdout:
        # With -v the json callback's document follows the verbose lines.
        result.data = json.loads(result.stdout[result.stdout.index("\n{\n"):])
    return result


def run_playbook(playbook, extra_vars, check=False):
    """Run a playbook of the collection by its FQCN, as users do, with the json callback."""
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vars.json"
        path.write_text(json.dumps(extra_vars))
        cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", "@" + str(path),
               "airgap.dify_platform." + playbook]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)


def role_vars(fake, directory, **extra):
    params = {"dify_apps_url": fake.url, "dify_apps_email": EMAIL, "dify_apps_password": PASSWORD,
              "dify_apps_retries": 1, "dify_apps_dir": str(directory)}
    params.update(extra)
    return params


def task(module, title="t", **args):
    """A task that may fail (the test reads its result); ``title`` is the task name."""
    return {"name": title, "airgap.dify_platform.%s" % module: args, "ignore_errors": True}
