"""json_body: JSON that the API server's YAML decoder also reads (apply-patch+yaml)."""

import json

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import json_body


@pytest.mark.parametrize("value", [
    "plain", "caf\u00e9", "\U0001F4AC", "a \U0001F600 and \U0001F680", "tab\tquote\"",
    "a literal \\ud83d\\ude00", "\\\U0001F4AC", "\\\\ud83d\\ude00",
])
def test_round_trips_as_json(value):
    assert json.loads(json_body({"v": value}).decode("utf-8")) == {"v": value}


def test_no_surrogate_escape_is_left():
    text = json_body({"icon": "\U0001F4AC", "names": ["\U0001F600"]}).decode("utf-8")
    assert "\\ud8" not in text and "\\ud83d" not in text
    assert "\U0001F4AC" in text and "\U0001F600" in text


def test_an_escaped_backslash_before_u_is_kept_as_text():
    text = json_body({"v": "\\ud83d\\ude00"}).decode("utf-8")
    assert text == '{"v": "\\\\ud83d\\\\ude00"}'


def test_other_escapes_are_kept():
    text = json_body({"v": "caf\u00e9\n\u2028"}).decode("utf-8")
    assert "\\u00e9" in text and "\\n" in text and "\\u2028" in text
