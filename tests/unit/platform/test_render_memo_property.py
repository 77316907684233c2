"""The memo of rendered templates never goes stale: a property test.

A copy of the collection's plugins and shared templates, and a role of its own,
are edited at random: the role's templates and an include, a shared template,
a shadowing template earlier in the search path, role defaults (plain values
and templates), inventory values read directly, through a default or not at
all, a filter plugin of the collection and the module_utils it imports. After
each edit, one process renders the role through the memo and without it
(memo_render.py): every template the memo recalls must have the objects, to
the manifest digest, that rendering it gives. A seeded random loop (Hypothesis
is not a dependency); AIRGAP_MEMO_PROPERTY_SEED and AIRGAP_MEMO_PROPERTY_RUNS
replay or lengthen it.
"""

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from helpers.paths import REPO

RUNNER = Path(__file__).resolve().parent / "memo_render.py"
SEED = int(os.environ.get("AIRGAP_MEMO_PROPERTY_SEED", "2126"))
RUNS = int(os.environ.get("AIRGAP_MEMO_PROPERTY_RUNS", "12"))
TEMPLATES = ["main.yml.j2", "plain.yml.j2", "routed.yml.j2"]

MAIN = """{% from 'platform/probe.j2' import probe_labels with context %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: main
  namespace: {{ ns }}
  labels: {{ probe_labels(app) | to_json }}
data:
  literal: @literal@
  host: {{ host | to_json }}
  items: {{ items | map('@map_filter@') | join(',') | to_json }}
@probe_line@{% include 'extra.j2' %}
"""
PLAIN = """apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
  namespace: {{ ns }}
data:
  fixed: @plain@
"""
ROUTED = """{% from 'platform/probe.j2' import probe_labels with context %}
apiVersion: v1
kind: Service
metadata:
  name: routed
  namespace: {{ ns }}
  labels: {{ probe_labels('routed') | to_json }}
spec:
  ports: [{port: {{ port }}}]
"""
SHARED = """{% macro probe_labels(name) -%}
{{ {'app.kubernetes.io/name': name, 'shared': '@shared@'} | combine(extra_labels) }}
{%- endmacro %}
"""
PROBE_FILTER = """from ansible_collections.airgap.dify_platform.plugins.module_utils.probe_suffix import SUFFIX


def probe(value):
    return @probe_format@ % (value, SUFFIX)


class FilterModule(object):
    def filters(self):
        return {"probe": probe}
"""


class World:
    """The files the test edits, written from a state of a few values."""

    def __init__(self, root, rng):
        self.rng = rng
        self.collections = root / "collections"
        self.collection = self.collections / "ansible_collections" / "airgap" / "dify_platform"
        self.role = root / "role"
        self.memo = root / "memo"
        for part in ("plugins", "meta"):
            shutil.copytree(REPO / part, self.collection / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(REPO / "galaxy.yml", self.collection / "galaxy.yml")
        shutil.copytree(REPO / "roles" / "dify_platform" / "templates", self.collection / "roles" / "dify_platform" / "templates")
        (self.role / "templates" / "platform").mkdir(parents=True)
        self.state = {
            "literal": '"one"', "plain": '"fixed"', "map_filter": "upper", "probe_line": "", "extra": "",
            "shared": "s0", "shadow": None, "suffix": "-a", "probe_format": '"%s%s"',
            "defaults": {"ns": "ai", "app": "dify", "host": "{{ app }}.{{ domain }}", "domain": "apps.example",
                         "items": ["a", "b"], "extra_labels": {}, "port": 80, "unused_default": "x"},
            "inventory": {"domain": "apps.example", "unrelated": 1},
        }

    def write(self):
        s = self.state
        templates = self.role / "templates"
        _write(templates / "main.yml.j2", fill(MAIN, s))
        _write(templates / "plain.yml.j2", fill(PLAIN, s))
        _write(templates / "routed.yml.j2", ROUTED)
        _write(templates / "extra.j2", s["extra"])
        _write(self.collection / "roles" / "dify_platform" / "templates" / "platform" / "probe.j2", fill(SHARED, s))
        shadow = templates / "platform" / "probe.j2"
        if s["shadow"] is None:
            if shadow.exists():
                shadow.unlink()
        else:
            _write(shadow, fill(SHARED, {"shared": s["shadow"]}))
        _write(self.collection / "plugins" / "filter" / "probe.py", fill(PROBE_FILTER, s))
        _write(self.collection / "plugins" / "module_utils" / "probe_suffix.py", "SUFFIX = %r\n" % s["suffix"])
        _write(self.role / "defaults.yml", json.dumps(s["defaults"]))
        _write(self.role / "inventory.yml", json.dumps(s["inventory"]))

    def edit(self, name=None):
        """One edit, ``name`` or one at random; returns its name."""
        s, rng = self.state, self.rng
        token = "v%d" % rng.randrange(1000)
        edits = {
            "template literal": lambda: s.update(literal='"%s"' % token),
            "template filter": lambda: s.update(map_filter=rng.choice(["upper", "lower", "trim", "to_json"])),
            "template uses the collection's filter": lambda: s.update(probe_line=rng.choice([
                "", "  probed: {{ app | airgap.dify_platform.probe | to_json }}\n"])),
            "include": lambda: s.update(extra=rng.choice(["", "  extra: {{ ns | to_json }}\n",
                                                          "  extra: %s\n" % token])),
            "shared template": lambda: s.update(shared=token),
            "shadowing template": lambda: s.update(shadow=rng.choice([None, token])),
            "filter plugin": lambda: s.update(probe_format=rng.choice(['"%s%s"', '"%s+%s"', '"%s/%s"'])),
            "module_utils of the filter": lambda: s.update(suffix="-" + token),
            "default value": lambda: s["defaults"].update(app=rng.choice(["dify", "chat", token])),
            "default template": lambda: s["defaults"].update(host=rng.choice(
                ["{{ app }}.{{ domain }}", "{{ app }}-x.{{ domain }}", "{{ domain | upper }}", "fixed.host"])),
            "default list": lambda: s["defaults"].update(items=rng.sample(["a", "b", "c", token], 2)),
            "default dict": lambda: s["defaults"].update(extra_labels=rng.choice([{}, {"team": token}])),
            "default unused": lambda: s["defaults"].update(unused_default=token),
            "inventory read through a default": lambda: s["inventory"].update(domain=rng.choice(
                ["apps.example", "apps.other", token])),
            "inventory overrides a default": lambda: s["inventory"].update(
                rng.choice([{"port": rng.choice([80, 8080, "80"])}, {"ns": rng.choice(["ai", token])}])),
            "inventory unrelated": lambda: s["inventory"].update(unrelated=token),
            "nothing": lambda: None,
            "plain template": lambda: s.update(plain='"%s"' % token),
        }
        name = name or rng.choice(sorted(edits))
        edits[name]()
        return name

    def run(self):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", PYTHONDONTWRITEBYTECODE="1")
        env.pop("ANSIBLE_COLLECTIONS_PATH", None)
        env.pop("PYTHONPATH", None)
        proc = subprocess.run(
            [sys.executable, str(RUNNER), str(self.collections), str(self.role), str(self.memo), *TEMPLATES],
            capture_output=True, text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)


def fill(text, values):
    for key, value in values.items():
        text = text.replace("@%s@" % key, str(value))
    return text


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def test_a_render_through_the_memo_is_a_render_without_it(tmp_path):
    world = World(tmp_path, random.Random(SEED))  # noqa: S311 - a replayable test, not a secret
    world.write()
    first = world.run()
    assert first["recalled"] == 0 and first["memo"] == first["fresh"]
    recalled, edits = 0, []
    for number in range(RUNS):
        edits.append(world.edit())
        if number % 3 == 0:
            edits.append(world.edit())
        world.write()
        result = world.run()
        assert result["memo"] == result["fresh"], "stale after edits %s (seed %d)" % (edits, SEED)
        recalled += result["recalled"]
    # The property holds trivially if nothing is ever recalled: the memo must be of use.
    assert recalled >= RUNS // 2, "only %d templates recalled in %d runs" % (recalled, RUNS)


EDITS = ["default dict", "default list", "default template", "default unused", "default value", "filter plugin",
         "include", "inventory overrides a default", "inventory read through a default", "inventory unrelated",
         "module_utils of the filter", "nothing", "plain template", "shadowing template", "shared template",
         "template filter", "template literal", "template uses the collection's filter"]
UNRELATED = ("default unused", "inventory unrelated", "nothing")


def test_every_kind_of_edit_keeps_the_memo_true(tmp_path):
    """Each kind of edit alone, in turn; a template an edit leaves alone is recalled."""
    world = World(tmp_path, random.Random(SEED + 1))  # noqa: S311 - a replayable test, not a secret
    world.state["probe_line"] = "  probed: {{ app | airgap.dify_platform.probe | to_json }}\n"
    world.write()
    world.run()
    for kind in EDITS:
        world.edit(kind)
        world.write()
        result = world.run()
        assert result["memo"] == result["fresh"], "stale after the edit: %s" % kind
        if kind in UNRELATED:
            assert result["recalled"] == len(TEMPLATES), "%s changed no input, yet not all was recalled" % kind
