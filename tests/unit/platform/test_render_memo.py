"""The memo of rendered templates on disk (plugin_utils/render_memo.py)."""

import json
import os
import stat

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import MEMO_FILE, RenderMemo, identity

CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "ai", "labels": {}},
              "data": {"a": "1"}}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ai"}}


def test_an_identity_keeps_only_what_reads_the_object():
    assert identity(CONFIG_MAP) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "ai"}}
    assert identity(NAMESPACE) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ai"}}


def test_the_memo_survives_a_save_readable_by_its_owner_only(tmp_path):
    template = tmp_path / "config.yml.j2"
    template.write_text("kind: ConfigMap")
    memo = RenderMemo.load(str(tmp_path / "applied"))
    memo.remember(str(template), {"": "abc"}, ["a"], "digest", [(identity(CONFIG_MAP), "d1")])
    memo.save()
    path = tmp_path / "applied" / MEMO_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entry = RenderMemo.load(str(tmp_path / "applied")).entry(str(template))
    assert entry == {"sources": {"": "abc"}, "names": ["a"], "inputs": "digest", "objects": [[identity(CONFIG_MAP), "d1"]],
                     "plugins": []}


def test_the_entries_of_templates_that_are_gone_are_dropped(tmp_path):
    kept, gone = tmp_path / "kept.j2", tmp_path / "gone.j2"
    kept.write_text("")
    memo = RenderMemo.load(str(tmp_path))
    for template in (kept, gone):
        memo.remember(str(template), {}, [], "d", [])
    memo.save()
    assert sorted(RenderMemo.load(str(tmp_path)).entries) == [str(kept)]


def test_a_memo_of_another_format_or_unreadable_is_empty(tmp_path):
    (tmp_path / MEMO_FILE).write_text(json.dumps({"format": 0, "templates": {"x": {}}}))
    assert RenderMemo.load(str(tmp_path)).entries == {}
    (tmp_path / MEMO_FILE).write_text("{not json")
    assert RenderMemo.load(str(tmp_path)).entries == {}
    assert RenderMemo.load(str(tmp_path / "missing")).entries == {}


def test_forgetting_an_entry_is_saved(tmp_path):
    template = tmp_path / "t.j2"
    template.write_text("")
    memo = RenderMemo.load(str(tmp_path))
    memo.remember(str(template), {}, [], "d", [])
    memo.save()
    memo = RenderMemo.load(str(tmp_path))
    memo.forget(str(template))
    memo.save()
    assert RenderMemo.load(str(tmp_path)).entry(str(template)) is None
