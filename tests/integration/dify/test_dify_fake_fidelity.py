"""The fake behaves like a real Dify 1.15 where a real one was seen to differ (issue 17, items 1 to 4).

Over plain HTTP, without the modules.
"""

from urllib.parse import quote

import yaml
from test_dify_fake_console import Session

from dify_support import EXPORTS, FIXTURES, SOURCES

pytest_plugins = ("dify_fixtures",)  # the dify fixture

HAND_WRITTEN = FIXTURES / "defaults-left-out"


def imported(session, text):
    status, body = session.call("POST", "/apps/imports", {"mode": "yaml-content", "yaml_content": text})
    return status, body


def test_import_fills_feature_defaults_as_dify_did(dify):
    """A DSL with every feature default left out is exported with exactly the features Dify 1.15 exported."""
    session = Session(dify)
    session.login()
    for name in ("basic_chatflow", "echo-chat", "echo-workflow"):
        status, body = imported(session, (HAND_WRITTEN / (name + ".yml")).read_text())
        assert status == 200, body
        exported = yaml.safe_load(dify.export_text(body["app_id"]))
        real = yaml.safe_load((EXPORTS / ("exported-" + name + ".yml")).read_text())
        assert exported["workflow"]["features"] == real["workflow"]["features"], name


def test_a_feature_of_the_wrong_type_fails_the_import(dify):
    session = Session(dify)
    session.login()
    text = (HAND_WRITTEN / "echo-workflow.yml").read_text().replace(
        "  features:\n", "  features:\n    text_to_speech: 'yes'\n", 1)
    status, body = imported(session, text)
    assert (status, body["status"], body["error"]) == (400, "failed", "text_to_speech must be of dict type")


def test_an_old_unversioned_dsl_imports_with_the_plugin_daemon_down(dify):
    """generate_latest_dependencies consults the marketplace, only when it is enabled; never the daemon."""
    session = Session(dify)
    session.login()
    data = yaml.safe_load((SOURCES / "basic_chatflow.yml").read_text())
    del data["version"]  # read as 0.1.0
    data["dependencies"] = []
    text = yaml.safe_dump(data, allow_unicode=True)
    dify.plugin_daemon_up = False
    status, body = imported(session, text)
    assert (status, body["status"], body["imported_dsl_version"]) == (200, "completed-with-warnings", "0.1.0")

    dify.service.marketplace_enabled = True  # and unreachable: the fake has no network
    status, body = imported(session, text)
    assert (status, body["status"]) == (400, "failed")
    assert "marketplace" in body["error"]


def test_percent_and_underscore_in_the_name_filter_are_plain_characters(dify):
    for name in ("a_b", "axb", "50%", "500", "back\\slash"):
        dify.seed((SOURCES / "echo-workflow.yml").read_text().replace("name: basic_auto_test", "name: '%s'" % name))
    session = Session(dify)
    session.login()

    def names(filter_text):
        return sorted(a["name"] for a in session.call("GET", "/apps?name=" + quote(filter_text))[1]["data"])

    assert names("_") == ["a_b"]
    assert names("%") == ["50%"]
    assert names("0%") == ["50%"]
    assert names("50") == ["50%", "500"]
    assert names("\\") == ["back\\slash"]
    assert names("X") == ["axb"]  # still a case-insensitive substring
