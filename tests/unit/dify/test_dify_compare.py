"""The semantic compare and the masking of secrets in diffs."""

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.compare import differences, masked_pair
from ansible_collections.airgap.dify_platform.plugins.module_utils.redact import MASK, MASK_CHANGED


def test_paths():
    before = {"a": {"b": [1, {"c": "x"}]}, "d": 1}
    after = {"a": {"b": [1, {"c": "y"}, 3]}, "e": 1}
    assert differences(before, after) == ["a.b[1].c", "a.b (length 2 -> 3)", "d (removed)", "e (added)"]


def test_types_matter_where_they_change_meaning():
    assert differences({"x": True}, {"x": 1}) == ["x"]
    assert differences({"x": "1"}, {"x": 1}) == ["x"]
    assert differences({"x": None}, {"x": ""}) == ["x"]
    assert differences({"x": 1}, {"x": 1.0}) == []  # one JSON number


def test_masked_pair_hides_values_and_shows_changes():
    def doc(key, region):
        return {"workflow": {"environment_variables": [
            {"name": "key", "value_type": "secret", "value": key},
            {"name": "region", "value_type": "string", "value": region},
        ]}}

    before, after = masked_pair(doc("old-secret", "eu"), doc("new-secret", "us"))
    assert "old-secret" not in str(before) and "new-secret" not in str(after)
    assert before["workflow"]["environment_variables"][0]["value"] == MASK
    assert after["workflow"]["environment_variables"][0]["value"] == MASK_CHANGED
    assert after["workflow"]["environment_variables"][1]["value"] == "us"
    before, after = masked_pair(doc("same", "eu"), doc("same", "eu"))
    assert after["workflow"]["environment_variables"][0]["value"] == MASK
    before, after = masked_pair(None, doc("s", "eu"))
    assert before is None and after["workflow"]["environment_variables"][0]["value"] == MASK_CHANGED
