"""Fixtures and helpers for the Dify module tests: the fake console API, TLS material, a task runner.

Test modules import this by name. It is not a conftest.py, because a second module named
``conftest`` would shadow tests/conftest.py, which helpers/playbook.py imports by that name.
"""

import json
import subprocess
from pathlib import Path

import pytest

from fakes.dify_console import FakeDifyConsole
from helpers.playbook import run_tasks

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


@pytest.fixture
def dify():
    fake = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    yield fake
    fake.stop()


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


def task(module, title="t", **args):
    """A task that may fail (the test reads its result); ``title`` is the task name."""
    return {"name": title, "airgap.dify_platform.%s" % module: args, "ignore_errors": True}


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A throw-away CA and a certificate for 127.0.0.1 signed by it (openssl CLI)."""
    base = tmp_path_factory.mktemp("tls")
    ca_key, ca_crt = base / "ca.key", base / "ca.pem"
    key, csr, crt = base / "server.key", base / "server.csr", base / "server.pem"
    ext = base / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")

    def openssl(*args):
        subprocess.run(("openssl",) + args, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
            "-keyout", str(ca_key), "-out", str(ca_crt))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-extfile", str(ext), "-out", str(crt))
    return {"ca": str(ca_crt), "cert": str(crt), "key": str(key)}
