"""STAND-IN for Dify's console API on this host, for the portal wave of molecule's kind scenario.

Dify's api cannot be built here (docs/kind-images.md): its pods in the cluster are stand-ins that
answer health paths only. The portal role reads the apps that become tiles from the Ansible
controller, through dify_app_info (login, then GET /console/api/apps), so the Dify it needs is one
the controller reaches: the project's fake console (tests/fakes/dify_console, the fake the Dify
modules' tests use), holding the apps below, on 127.0.0.1 of this host.

  python dify_console_standin.py start DIR   # idempotent: prints url=... and state=started|running
  python dify_console_standin.py stop DIR    # ends the process of DIR/pid, if any

``start`` leaves a detached process (``serve``), its URL in DIR/url, its pid in DIR/pid, and the
apps it holds (name, id, mode) in DIR/apps.json for the browser test (tests/browser/test_portal_kind.py).
The process must live from the first converge to verify: the fake gives each app a new id at every
start, and a tile's URL holds the app's id (a new process would change the page: changed=1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

# pylint: disable=wrong-import-position
from fakes.dify_console import FakeDifyConsole

# The fake's test account (not a secret: a test double on 127.0.0.1); host_vars give it to the portal role.
EMAIL, PASSWORD = "portal-reader@example.test", "Portal-Reader-1"
# (name, mode, icon, description): a name beyond the BMP ("🧭", U+1F9ED) must reach the page as itself
# through the apply (plugins/module_utils/http_client.json_body).
APPS = [
    ("faq-chat", "chat", "🤖", "Answers the staff FAQ."),
    ("Travel desk 🧭", "chat", "🧳", "Books and explains travel."),
    ("contract-review", "completion", "📄", "Reviews a contract against the policy."),
]
DSL = """\
app: {name: %s, mode: %s, icon: %s, icon_background: '#FFEAD5', description: %s}
kind: app
version: 0.6.0
model_config:
  model: {provider: langgenius/openai/openai, name: gpt-4o-mini, mode: chat, completion_params: {}}
  pre_prompt: You answer.
"""


def _alive(pid_file):
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def serve(workdir):
    fake = FakeDifyConsole(email=EMAIL, password=PASSWORD).start()
    held = []
    for name, mode, icon, description in APPS:
        app = fake.seed(DSL % tuple(json.dumps(v, ensure_ascii=False) for v in (name, mode, icon, description)))
        held.append({"name": app.name, "id": app.id, "mode": app.mode})
    (workdir / "apps.json").write_text(json.dumps(held, indent=1, ensure_ascii=False), encoding="utf-8")
    (workdir / "url").write_text(fake.url)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    while True:
        time.sleep(3600)


def start(workdir):
    workdir.mkdir(parents=True, exist_ok=True)
    pid_file = workdir / "pid"
    if _alive(pid_file) and (workdir / "url").exists():
        print("url=%s\nstate=running" % (workdir / "url").read_text())
        return 0
    (workdir / "url").unlink(missing_ok=True)
    with open(workdir / "log", "ab") as log:
        process = subprocess.Popen([sys.executable, __file__, "serve", str(workdir)], stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + 30
    while not (workdir / "url").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            print("the Dify console stand-in did not start: %s" % (workdir / "log").read_text()[-2000:], file=sys.stderr)
            return 1
        time.sleep(0.2)
    print("url=%s\nstate=started" % (workdir / "url").read_text())
    return 0


def stop(workdir):
    pid_file = workdir / "pid"
    if _alive(pid_file):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        print("state=stopped")
    pid_file.unlink(missing_ok=True)
    (workdir / "url").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit({"start": start, "stop": stop, "serve": serve}[sys.argv[1]](Path(sys.argv[2])))
