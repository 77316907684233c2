"""DSL parsing and validation: what Dify would refuse fails here, before any request."""

import itertools
from pathlib import Path

import pytest
from packaging import version as pkg_version

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify import dsl
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.exceptions import BatchError, DslError
from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dify-dsl"

WORKFLOW = """\
app:
  name: demo
  mode: workflow
version: '0.6.0'
workflow:
  graph: {nodes: [], edges: []}
  features: {}
"""


@pytest.mark.parametrize("path", sorted((FIXTURES / "source").glob("*.yml")) + sorted(
    (FIXTURES / "exported-by-dify-1.15").glob("*.yml")), ids=lambda p: p.name)
def test_fixtures_load(path):
    doc = dsl.load_dsl_file(str(path))
    assert doc.mode in ("workflow", "advanced-chat")
    assert doc.name


def test_missing_version_reads_as_0_1_0():
    doc = dsl.load_dsl(WORKFLOW.replace("version: '0.6.0'\n", ""))
    assert doc.version == "0.1.0"


BAD = {
    "malformed YAML": ("app:\n  name: [unclosed\n", "is not valid YAML"),
    "not a mapping": ("- a\n- b\n", "this is a list"),
    "no app": ("version: '0.6.0'\nworkflow: {}\n", "has no `app` section"),
    "app not a mapping": ("app: hello\n", "`app` must be a mapping"),
    "no mode": ("app:\n  name: x\n", "app.mode is missing"),
    "unknown mode": ("app:\n  name: x\n  mode: chatbot\n", "'chatbot' is not a Dify app mode"),
    "no name": ("app:\n  mode: workflow\nworkflow: {}\n", "app.name is missing"),
    "version as number": (WORKFLOW.replace("'0.6.0'", "0.6"), "only accepts a quoted string"),
    "unparseable version": (WORKFLOW.replace("'0.6.0'", "'six'"), "not a version Dify can parse"),
    "other kind": (WORKFLOW + "kind: rag_pipeline\n", "only app DSL files"),
    "workflow missing": ("app:\n  name: x\n  mode: advanced-chat\n", "needs a `workflow` mapping"),
    "graph not a mapping": (WORKFLOW.replace("graph: {nodes: [], edges: []}", "graph: []"), "graph must be a mapping"),
    "model_config missing": ("app:\n  name: x\n  mode: chat\n", "needs a non-empty `model_config`"),
    "pre_prompt missing": ("app:\n  name: x\n  mode: completion\nmodel_config:\n  model: {}\n", "pre_prompt is missing"),
    "env var without type": (WORKFLOW + "  environment_variables:\n  - name: a\n    value: b\n", "has no value_type"),
    "empty": ("  \n", "is empty"),
}


@pytest.mark.parametrize("text,message", list(BAD.values()), ids=list(BAD))
def test_bad_input_fails_with_a_clear_message(text, message):
    with pytest.raises(DslError) as info:
        dsl.load_dsl(text, source="apps/x.yml")
    assert message in str(info.value)
    assert str(info.value).startswith("apps/x.yml: ")
    assert isinstance(info.value, ValidationError)


def test_size_cap_is_checked_before_parsing():
    text = WORKFLOW + "# " + "x" * dsl.DSL_MAX_SIZE + "\n"
    with pytest.raises(DslError, match="above 10 MB"):
        dsl.load_dsl(text)


def test_unreadable_file(tmp_path):
    with pytest.raises(DslError, match="cannot be read"):
        dsl.load_dsl_file(str(tmp_path / "missing.yml"))


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yml"
    path.write_bytes(WORKFLOW.replace("demo", "d\xe9mo").encode("latin-1"))
    with pytest.raises(DslError, match="not UTF-8"):
        dsl.load_dsl_file(str(path))


def test_secret_variable_names():
    doc = dsl.load_dsl(WORKFLOW + "  environment_variables:\n"
                       "  - {name: key, value: s, value_type: secret}\n"
                       "  - {name: empty, value: '', value_type: secret}\n"
                       "  - {name: plain, value: p, value_type: string}\n")
    assert doc.secret_variable_names() == ["key"]


# -- the version table of services/dsl_version.py ----------------------------------------------

def reference_status(imported, current):
    """check_version_compatibility, with packaging as upstream uses it."""
    try:
        cur, imp = pkg_version.parse(current), pkg_version.parse(imported)
    except pkg_version.InvalidVersion:
        return "failed"
    if imp > cur or imp.major < cur.major:
        return "pending"
    if imp.minor < cur.minor:
        return "completed-with-warnings"
    return "completed"


VERSIONS = ["0.1.0", "0.1.5", "0.3.1", "0.5.0", "0.6.0", "0.6.1", "0.7.0", "1.0.0", "0.6", "1", "0.6.0rc1",
            "0.7.0.dev1", "2.0.0"]


@pytest.mark.parametrize("imported,current", list(itertools.product(VERSIONS, ["0.6.0", "0.7.0", "1.0.0"])))
def test_version_status_matches_upstream(imported, current):
    assert dsl.version_status(imported, current) == reference_status(imported, current)


def test_version_status_named_cases():
    assert dsl.version_status("0.3.1", "0.6.0") == "completed-with-warnings"
    assert dsl.version_status("0.7.0", "0.6.0") == "pending"
    assert dsl.version_status("0.6.0", "1.0.0") == "pending"
    assert dsl.version_status("0.6.0", "0.6.0") == "completed"
    assert dsl.version_status("abc", "0.6.0") == "failed"


def test_yaml_errors_name_the_place_but_do_not_quote_the_line():
    with pytest.raises(DslError) as info:
        dsl.load_dsl("app:\n  name: x\n api_key: sk-do-not-print\n", source="f.yml")
    assert "line 3, column 2" in str(info.value)
    assert "sk-do-not-print" not in str(info.value)


def test_a_directory_reports_every_bad_file(tmp_path):
    (tmp_path / "a.yml").write_text(WORKFLOW)
    (tmp_path / "b.yaml").write_text("app: [\n")
    (tmp_path / "c.yml").write_text("kind: app\n")
    (tmp_path / "d.txt").write_text("ignored")
    with pytest.raises(BatchError) as info:
        dsl.load_dsl_directory(str(tmp_path))
    lines = str(info.value).splitlines()
    assert lines[0] == "2 of 3 DSL file(s) in %s cannot be applied; nothing was changed:" % tmp_path
    assert lines[1].startswith("- %s: is not valid YAML" % (tmp_path / "b.yaml"))
    assert lines[2] == "- %s: the DSL has no `app` section" % (tmp_path / "c.yml")
    (tmp_path / "b.yaml").unlink()
    (tmp_path / "c.yml").unlink()
    assert [d.name for d in dsl.load_dsl_directory(str(tmp_path))] == ["demo"]
    with pytest.raises(DslError, match="has no file matching"):
        dsl.load_dsl_directory(str(tmp_path), patterns=["*.json"])
