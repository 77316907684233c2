"""The on-disk form of exports: lossless, stable, and written only on change."""

import os
import stat
from pathlib import Path

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify import export_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dify-dsl"
ALL = sorted((FIXTURES / "source").glob("*.yml")) + sorted((FIXTURES / "exported-by-dify-1.15").glob("*.yml"))

TRICKY = {
    "prompt": "You are {{#sys.query#}}.\n\nAnswer briefly.\n",
    "no final newline": "line one\nline two",
    "trailing spaces": "a  \nb\n",
    "leading spaces": "  indented\n    more\n",
    "blank lines at end": "text\n\n\n",
    "tab": "a\tb\nc",
    "unicode": "こんにちは\n🤖",
    "colon": "key: value\n- item",
    "quotes": "'single' \"double\"\n",
    "only newline": "\n",
    "yes": "yes",
    "number-like": "0.6.0",
    "long": "word " * 500,
}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_fixtures_round_trip(path):
    data = yaml.safe_load(path.read_text())
    text = export_files.dump_yaml(data)
    assert yaml.safe_load(text) == data
    assert export_files.dump_yaml(yaml.safe_load(text)) == text  # a fixed point: re-exporting changes nothing


@pytest.mark.parametrize("value", list(TRICKY.values()), ids=list(TRICKY))
def test_strings_round_trip(value):
    data = {"workflow": {"graph": {"nodes": [{"data": {"text": value, "list": [value]}}]}}}
    assert yaml.safe_load(export_files.dump_yaml(data)) == data


def test_form_is_git_friendly():
    text = export_files.dump_yaml({"b": [1, 2], "a": {"prompt": "one\ntwo\n"}})
    assert text == "a:\n  prompt: |\n    one\n    two\nb:\n  - 1\n  - 2\n"


def test_long_lines_are_not_folded():
    text = export_files.dump_yaml({"a": "word " * 100 + "end"})
    assert len(text.splitlines()) == 1


def test_slug_and_file_name():
    assert export_files.slugify("Échos: v2 / beta") == "echos-v2-beta"
    assert export_files.slugify("客服") == "app"
    assert export_files.slugify("x" * 80) == "x" * 48
    name = export_files.app_file_name("Support Bot", "0B5E3D4C-1f2a-4c1e-9d8b-3e2f1a0b9c8d")
    assert name == "support-bot-0b5e3d4c.yml"
    assert export_files.EXPORT_FILE_RE.match(name)
    assert not export_files.EXPORT_FILE_RE.match("support-bot-0b5e3d4c-20250101T120000Z.yml")
    assert not export_files.EXPORT_FILE_RE.match("README.yml")


def test_write_file_only_on_change(tmp_path):
    path = str(tmp_path / "a.yml")
    assert export_files.write_file(path, "x: 1\n") is True
    before = os.stat(path).st_mtime_ns
    assert export_files.write_file(path, "x: 1\n") is False
    assert os.stat(path).st_mtime_ns == before
    assert export_files.write_file(path, "x: 2\n", check_mode=True) is True
    assert Path(path).read_text() == "x: 1\n"
    assert export_files.write_file(path, "x: 1\n", mode=0o600) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["a.yml"]  # no temporary file left behind


def test_stale_files(tmp_path):
    for name in ("keep-0b5e3d4c.yml", "gone-11111111.yml", "notes.yml", "gone-11111111.yml.bak"):
        (tmp_path / name).write_text("x")
    stale = export_files.stale_files(str(tmp_path), {"keep-0b5e3d4c.yml"})
    assert stale == [str(tmp_path / "gone-11111111.yml")]
