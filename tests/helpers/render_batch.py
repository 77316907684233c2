"""The unit tests' role renders, many in one ansible-playbook run.

Every :func:`helpers.role_render.render_role_objects` call used to start Ansible once: about
0.6 s of CPU of start-up (Python, ansible-core's imports, the collection loader) for a render of
a few tenths of a second, over a hundred times per ``make units`` and again in every row of the
ansible-core matrix. Here the renders of a pytest session share one start-up:

- **the plan**: which renders (role, templates, variables) each test file asked for in its last
  session, kept per checkout in ``$AIRGAP_CACHE/unit-render-plan/``;
- **the batch**: at the session's first render, every planned render of the test files this
  session collected is rendered in ONE ansible-playbook run: one play per render, each on an
  inventory host of its own, so that no render sees another's facts, and the plays ignore
  errors, so that a render that fails does not end the run for the others (:func:`render_many`);
- **each request** takes a result of the batch for the same (role, templates, variables), each
  result once (so a template that draws random values still gives each request its own draw);
  a request the plan did not foresee, or whose render failed or is missing in the batch, is
  rendered alone exactly as before, so its failure is reported with its own message.

Results are never carried from one session to the next: every object a test reads comes from
an ansible-playbook run of that session, on that session's ansible-core and tree. A stale or
missing plan (a new test, a changed case, a cold cache) costs time only.
"""

import atexit
import collections
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from helpers.paths import CACHE, REPO
from helpers.playbook import run_plays

PLATFORM = REPO / "roles" / "dify_platform"
# The templates every role imports (apply_wave's SHARED_TEMPLATES).
SHARED_TEMPLATES = PLATFORM / "templates"
PLAN = CACHE / "unit-render-plan" / ("%s.json" % hashlib.sha256(str(REPO).encode()).hexdigest()[:12])


def render_tasks(role, templates, variables, template_dir):
    """The tasks of one render: the layered vars files, the inputs, then the templates in one `debug`."""
    directory = REPO / "roles" / role
    tasks = [
        {"name": "platform defaults", "ansible.builtin.include_vars": {"file": str(PLATFORM / "defaults" / "main.yml")}},
        {"name": "platform vars", "ansible.builtin.include_vars": {"file": str(PLATFORM / "vars" / "main.yml")}},
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(directory / "defaults" / "main.yml")}},
        {"name": "inputs", "ansible.builtin.set_fact": variables},
    ]
    if (directory / "vars" / "main.yml").is_file():
        tasks.insert(2, {"name": "role vars", "ansible.builtin.include_vars": {"file": str(directory / "vars" / "main.yml")}})
    tasks.append({"name": "render", "ansible.builtin.debug": {"msg": "{{ %s }}" % " + ".join(
        "(lookup('ansible.builtin.template', '%s') | from_yaml_all | select | list)" % (template_dir / name)
        for name in templates)}})
    return tasks


class _TemplateDirs:
    """Per role, one directory of the session holding its templates and the shared ones side by side.

    The template lookup searches the template's own directory first, as apply_wave does.
    """

    def __init__(self):
        self._root = None
        self._dirs = {}

    def __call__(self, role):
        if role not in self._dirs:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="render-batch-"))
                atexit.register(shutil.rmtree, self._root, True)
            directory = self._root / role
            directory.mkdir()
            for source in list((REPO / "roles" / role / "templates").iterdir()) + list(SHARED_TEMPLATES.iterdir()):
                (directory / source.name).symlink_to(source)
            self._dirs[role] = directory
        return self._dirs[role]


template_dir = _TemplateDirs()


def spec_key(role, templates, variables):
    """The plan's key of a render, or None when it would not read back the same from JSON."""
    spec = [role, list(templates), variables]
    try:
        key = json.dumps(spec, sort_keys=True)
    except (TypeError, ValueError):
        return None
    return key if json.loads(key) == spec else None


class _Session:
    """What one pytest session planned, asked for and got."""

    def __init__(self):
        self.active = False
        self.files = set()        # test files collected (with at least one selected test)
        self.partial = set()      # test files some of whose tests were deselected
        self.asked = collections.defaultdict(collections.Counter)  # file -> key -> requests
        self.results = None       # key -> [render task results], filled by the batch
        self.figures = collections.Counter()

    def start(self, files, partial):
        self.active, self.files, self.partial = True, set(files), set(partial)

    def _planned(self):
        try:
            plan = json.loads(PLAN.read_text())
        except (OSError, ValueError):
            return {}
        return plan if isinstance(plan, dict) else {}

    def _batch(self):
        """Render every planned render of the collected files in one run: key -> [results]."""
        wanted = collections.Counter()
        for name, entries in self._planned().items():
            if name in self.files and isinstance(entries, dict):
                for key, count in entries.items():
                    wanted[key] += int(count)
        keys = [key for key in sorted(wanted) for _unused in range(wanted[key])]
        results = collections.defaultdict(list)
        if keys:
            self.figures["batch runs"] += 1
            self.figures["batched renders"] += len(keys)
            for key, result in zip(keys, render_many([json.loads(key) for key in keys])):
                if result is not None:
                    results[key].append(result)
        return results

    def take(self, role, templates, variables):
        """A render task's result of the batch for this render, or None (then it is rendered alone)."""
        key = spec_key(role, templates, variables)
        if not self.active or key is None:
            return None
        current = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[0]
        if current:
            self.asked[current][key] += 1
        if self.results is None:
            self.results = self._batch()
        if self.results.get(key):
            self.figures["renders from the batch"] += 1
            return self.results[key].pop()
        self.figures["renders alone"] += 1
        return None

    def save(self):
        """The plan for the next session: each file's renders of this session (kept if it ran in part)."""
        if not self.active:
            return
        plan = self._planned()
        for name in self.files:
            asked = dict(self.asked.get(name, {}))
            if name in self.partial:
                for key, count in (plan.get(name) or {}).items():
                    asked[key] = max(asked.get(key, 0), count)
            if asked:
                plan[name] = asked
            else:
                plan.pop(name, None)
        PLAN.parent.mkdir(parents=True, exist_ok=True)
        scratch = PLAN.with_name("%s.%d" % (PLAN.name, os.getpid()))
        scratch.write_text(json.dumps(plan, sort_keys=True))
        scratch.replace(PLAN)


def render_many(specs):
    """The `render` task's result of each (role, templates, variables), from one ansible-playbook run.

    One play per render, each on an inventory host of its own, so that no render sees another's
    facts. Ansible ends a playbook at a play whose every host failed: the plays ignore errors, so
    that the other renders still run, and a render any of whose tasks failed gives None (its
    request renders it alone, and reports its own error).
    """
    hosts = ["render%04d" % number for number in range(len(specs))]
    plays = [{"name": "render %s" % host, "hosts": host, "gather_facts": False, "ignore_errors": True,
              "tasks": render_tasks(role, templates, variables, template_dir(role))}
             for host, (role, templates, variables) in zip(hosts, specs)]
    run = run_plays(plays, hosts)
    results = []
    for host in hosts:
        tasks = run.host_results(host)
        failed = any(result.get("failed") for result in tasks.values())
        results.append(None if failed else tasks.get("render"))
    return results


session = _Session()
