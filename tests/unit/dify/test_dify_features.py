"""Feature defaults (issue 17, item 1): a DSL written by hand compares equal to what Dify 1.15 exported.

tests/fixtures/dify-dsl/defaults-left-out holds the fixture apps with every
feature default left out, the way people write a DSL; Dify fills those
defaults in on import, so without the fill the module re-imported them on
every run.
"""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.compare import differences
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.features import with_defaults
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.normalize import normalize

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dify-dsl"
# The 1.15 export of echo-workflow was taken after its description was edited: that one change shows.
EXPECTED = {"basic_chatflow": [], "echo-chat": [], "echo-workflow": ["app.description"]}


def load(folder, name):
    return yaml.safe_load((FIXTURES / folder / (name + ".yml")).read_text())


def export(name):
    return load("exported-by-dify-1.15", "exported-" + name)


def diff(source, exported):
    return differences(normalize(exported), normalize(source, current=normalize(exported)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_dsl_with_every_default_left_out_equals_the_real_export(name):
    hand_written = load("defaults-left-out", name)
    assert hand_written["workflow"]["features"] != export(name)["workflow"]["features"]  # or this proves nothing
    assert diff(hand_written, export(name)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_dsl_with_every_default_spelled_out_equals_the_real_export(name):
    assert diff(load("source", name), export(name)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_fill_gives_exactly_the_features_dify_exported(name):
    hand_written = load("defaults-left-out", name)
    mode = hand_written["app"]["mode"]
    assert with_defaults(mode, hand_written["workflow"]["features"]) == export(name)["workflow"]["features"]


@pytest.mark.parametrize("features", [
    None,
    {},
    {"file_upload": None, "sensitive_word_avoidance": {}, "text_to_speech": {"enabled": False}},
    {"file_upload": {}, "sensitive_word_avoidance": {"enabled": None},
     "text_to_speech": {"voice": "alloy", "language": "en-US"}},  # disabled: voice and language are cleared
])
def test_falsy_values_and_missing_switches_take_the_default(features):
    assert with_defaults("workflow", features) == {
        "file_upload": {},
        "sensitive_word_avoidance": {"enabled": False},
        "text_to_speech": {"enabled": False, "voice": "", "language": ""},
    }


def test_advanced_chat_fills_seven_features_and_workflow_three():
    assert sorted(with_defaults("advanced-chat", {})) == [
        "file_upload", "opening_statement", "retriever_resource", "sensitive_word_avoidance", "speech_to_text",
        "suggested_questions", "suggested_questions_after_answer", "text_to_speech"]
    assert with_defaults("advanced-chat", {})["retriever_resource"] == {"enabled": False}
    assert sorted(with_defaults("workflow", {})) == ["file_upload", "sensitive_word_avoidance", "text_to_speech"]


def test_set_values_and_unknown_keys_are_kept():
    features = {"text_to_speech": {"enabled": True, "voice": "alloy", "language": "en-US", "autoPlay": "enabled"},
                "opening_statement": "Hi", "custom": {"x": 1}}
    filled = with_defaults("advanced-chat", copy.deepcopy(features))
    assert filled["text_to_speech"] == features["text_to_speech"]
    assert filled["opening_statement"] == "Hi" and filled["custom"] == {"x": 1}


def test_a_real_change_in_a_feature_still_shows():
    hand_written = load("defaults-left-out", "basic_chatflow")
    hand_written["workflow"]["features"]["speech_to_text"] = {"enabled": True}
    assert diff(hand_written, export("basic_chatflow")) == ["workflow.features.speech_to_text.enabled"]


def test_the_input_is_not_changed():
    features = {"text_to_speech": {"enabled": False, "voice": "x"}}
    with_defaults("workflow", features)
    assert features == {"text_to_speech": {"enabled": False, "voice": "x"}}
