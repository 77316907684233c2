"""The normaliser against what Dify 1.15 really exported (tests/fixtures/dify-dsl)."""

import copy
from pathlib import Path

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.compare import differences
from ansible_collections.airgap.dify_platform.plugins.module_utils.dify.normalize import normalize

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dify-dsl"
PAIRS = ["basic_chatflow", "echo-chat", "echo-workflow"]


def load(kind, name):
    if kind == "source":
        return yaml.safe_load((FIXTURES / "source" / (name + ".yml")).read_text())
    return yaml.safe_load((FIXTURES / "exported-by-dify-1.15" / ("exported-" + name + ".yml")).read_text())


def diff(source, exported):
    return differences(normalize(exported), normalize(source, current=normalize(exported)))


@pytest.mark.parametrize("name", ["basic_chatflow", "echo-chat"])
def test_source_and_its_export_compare_equal(name):
    source, exported = load("source", name), load("export", name)
    source_text = (FIXTURES / "source" / (name + ".yml")).read_text()
    export_text = (FIXTURES / "exported-by-dify-1.15" / ("exported-" + name + ".yml")).read_text()
    assert source_text != export_text, "the fixture pair must really differ, or this test proves nothing"
    assert diff(source, exported) == []


def test_source_and_export_differ_in_text_and_data():
    for name in PAIRS:
        source_text = (FIXTURES / "source" / (name + ".yml")).read_text()
        export_text = (FIXTURES / "exported-by-dify-1.15" / ("exported-" + name + ".yml")).read_text()
        assert source_text != export_text


def test_echo_workflow_export_was_taken_after_an_edit():
    # The 1.15 export of echo-workflow was taken after the app was overwritten with a new
    # description; that one real edit must show, and nothing else.
    source, exported = load("source", "echo-workflow"), load("export", "echo-workflow")
    assert diff(source, exported) == ["app.description"]
    source["app"]["description"] = "overwritten via app_id"
    assert diff(source, exported) == []


def test_what_dify_adds_is_ignored():
    source = load("source", "basic_chatflow")
    exported = load("export", "basic_chatflow")
    assert source["version"] == "0.3.1" and exported["version"] == "0.6.0"
    assert "icon_type" not in source["app"] and exported["app"]["icon_type"] == "emoji"
    assert "rag_pipeline_variables" not in source["workflow"]
    assert exported["workflow"]["rag_pipeline_variables"] == []
    exported["dependencies"] = [{"type": "marketplace", "value": {"marketplace_plugin_unique_identifier": "x"}}]
    assert diff(source, exported) == []


# -- every edit a user can make must compare unequal --------------------------------------------

def _node(doc, node_type):
    return next(n for n in doc["workflow"]["graph"]["nodes"] if n["data"]["type"] == node_type)


def change_prompt(doc):
    if any(n["data"]["type"] == "llm" for n in doc["workflow"]["graph"]["nodes"]):
        _node(doc, "llm")["data"]["prompt_template"][0]["text"] = "You are terse."
        return "workflow.graph.nodes[1].data.prompt_template[0].text"
    if any(n["data"]["type"] == "answer" for n in doc["workflow"]["graph"]["nodes"]):
        _node(doc, "answer")["data"]["answer"] = "echo: {{#sys.query#}}!"
        return "workflow.graph.nodes[1].data.answer"
    _node(doc, "end")["data"]["outputs"][0]["variable"] = "y"
    return "workflow.graph.nodes[1].data.outputs[0].variable"


def change_node_title(doc):
    doc["workflow"]["graph"]["nodes"][0]["data"]["title"] = "Begin"
    return "workflow.graph.nodes[0].data.title"


def change_edge_target(doc):
    doc["workflow"]["graph"]["edges"][0]["targetHandle"] = "other"
    return "workflow.graph.edges[0].targetHandle"


def remove_edge(doc):
    doc["workflow"]["graph"]["edges"].pop()
    return "workflow.graph.edges (length"


def change_model_parameter(doc):
    nodes = doc["workflow"]["graph"]["nodes"]
    if any(n["data"]["type"] == "llm" for n in nodes):
        _node(doc, "llm")["data"]["model"]["completion_params"]["temperature"] = 0.2
        return "workflow.graph.nodes[1].data.model.completion_params.temperature"
    start = _node(doc, "start")
    start["data"]["variables"][0]["max_length"] = 512 if "max_length" in start["data"]["variables"][0] else 1
    return "workflow.graph.nodes[0].data.variables[0].max_length"


def change_feature(doc):
    doc["workflow"]["features"]["speech_to_text"]["enabled"] = True
    return "workflow.features.speech_to_text.enabled"


def bool_to_number(doc):
    doc["workflow"]["features"]["retriever_resource"]["enabled"] = 1
    return "workflow.features.retriever_resource.enabled"


def swap_nodes(doc):
    nodes = doc["workflow"]["graph"]["nodes"]
    nodes[0], nodes[1] = nodes[1], nodes[0]
    return "workflow.graph.nodes[0]"


def move_node(doc):
    doc["workflow"]["graph"]["nodes"][0]["position"]["x"] += 10
    return "workflow.graph.nodes[0].position.x"


def add_env_var(doc):
    doc["workflow"]["environment_variables"].append({"name": "region", "value": "eu", "value_type": "string"})
    return "workflow.environment_variables (length"


def rename_app(doc):
    doc["app"]["name"] = doc["app"]["name"] + "-2"
    return "app.name"


def change_icon(doc):
    doc["app"]["icon"] = "🦊"
    return "app.icon"


def change_mode(doc):
    doc["app"]["mode"] = "workflow" if doc["app"]["mode"] == "advanced-chat" else "advanced-chat"
    return "app.mode"


def drop_key(doc):
    del doc["workflow"]["graph"]["nodes"][0]["data"]["title"]
    return "workflow.graph.nodes[0].data.title (removed)"


MUTATIONS = [
    change_prompt, change_node_title, change_edge_target, remove_edge, change_model_parameter,
    change_feature, bool_to_number, swap_nodes, move_node, add_env_var, rename_app, change_icon,
    change_mode, drop_key,
]


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
@pytest.mark.parametrize("name", ["basic_chatflow", "echo-chat"])
def test_every_edit_compares_unequal(name, mutate):
    source, exported = load("source", name), load("export", name)
    expected = mutate(source)
    found = diff(source, exported)
    assert found, "%s went unnoticed" % mutate.__name__
    assert any(path.startswith(expected) for path in found), found


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_every_edit_of_the_export_compares_unequal_too(mutate):
    # The other direction: the server changed (someone edited the app in the UI), the file did not.
    source, exported = load("source", "echo-chat"), load("export", "echo-chat")
    expected = mutate(exported)
    found = diff(source, exported)
    assert found and any(path.startswith(expected.split(" ")[0]) for path in found), found


# -- what the normaliser does, rule by rule -----------------------------------------------------

def workflow_doc(**app):
    doc = {
        "app": dict({"name": "n", "mode": "workflow"}, **app),
        "workflow": {"graph": {"nodes": [], "edges": []}, "features": {}},
    }
    return doc


def test_app_defaults_on_create():
    app = normalize(workflow_doc())["app"]
    assert app == {
        "name": "n", "mode": "workflow", "icon": "", "icon_type": "emoji", "icon_background": "#FFFFFF",
        "description": "", "use_icon_as_answer_icon": False,
    }


def test_unknown_icon_type_becomes_emoji_but_image_stays():
    assert normalize(workflow_doc(icon_type="sticker"))["app"]["icon_type"] == "emoji"
    assert normalize(workflow_doc(icon_type="image"))["app"]["icon_type"] == "image"


def test_keys_left_out_keep_the_server_value_on_update():
    current = normalize(workflow_doc(description="from the UI", icon_background="#000000",
                                     use_icon_as_answer_icon=True))
    desired = normalize(workflow_doc(), current=current)
    assert desired["app"]["description"] == "from the UI"
    assert desired["app"]["icon_background"] == "#000000"
    assert desired["app"]["use_icon_as_answer_icon"] is True
    assert desired["app"]["icon"] == ""  # an import always sets the icon


def test_name_override():
    assert normalize(workflow_doc(), name="other")["app"]["name"] == "other"


def test_variables_ids_selectors_and_secrets():
    doc = workflow_doc()
    doc["workflow"]["environment_variables"] = [
        {"name": "api_key", "value": "s3cret", "value_type": "secret"},
        {"name": "region", "value": "eu", "value_type": "string"},
    ]
    exported = copy.deepcopy(doc)
    exported["workflow"]["environment_variables"] = [
        {"id": "1", "name": "api_key", "value": "", "value_type": "secret", "description": "",
         "selector": ["env", "api_key"]},
        {"id": "2", "name": "region", "value": "eu", "value_type": "string", "description": "",
         "selector": ["env", "region"]},
    ]
    assert differences(normalize(exported), normalize(doc)) == []
    # With secrets on both sides the values count.
    assert differences(normalize(exported, keep_secret=True), normalize(doc, keep_secret=True)) == [
        "workflow.environment_variables[0].value"]


def test_export_time_rewrites_of_nodes():
    doc = workflow_doc()
    doc["workflow"]["graph"]["nodes"] = [
        {"id": "t", "data": {"type": "tool", "credential_id": "c1", "title": "T"}},
        {"id": "s", "data": {"type": "trigger-schedule", "config": {"frequency": "hourly"}}},
        {"id": "w", "data": {"type": "trigger-webhook", "webhook_url": "https://x/1"}},
        {"id": "p", "data": {"type": "trigger-plugin", "subscription_id": "sub"}},
        {"id": "f", "data": {"type": "start", "variables": [
            {"variable": "doc", "type": "file", "default": {"transfer_method": "local_file", "upload_file_id": "u"}},
            {"variable": "docs", "type": "file-list", "default": [
                {"transfer_method": "remote_url", "url": "https://a"},
                {"transfer_method": "local_file", "upload_file_id": "u"},
            ]},
        ]}},
    ]
    exported = copy.deepcopy(doc)
    nodes = exported["workflow"]["graph"]["nodes"]
    del nodes[0]["data"]["credential_id"]
    nodes[1]["data"]["config"] = {"frequency": "daily"}
    nodes[2]["data"]["webhook_url"] = ""
    nodes[2]["data"]["webhook_debug_url"] = ""
    nodes[3]["data"]["subscription_id"] = ""
    del nodes[4]["data"]["variables"][0]["default"]
    nodes[4]["data"]["variables"][1]["default"] = [{"transfer_method": "remote_url", "url": "https://a"}]
    assert differences(normalize(exported), normalize(doc)) == []
    nodes[0]["data"]["title"] = "T2"
    assert differences(normalize(exported), normalize(doc)) == ["workflow.graph.nodes[0].data.title"]


def chat_doc(**model_config):
    return {"app": {"name": "c", "mode": "chat"}, "model_config": dict({"pre_prompt": "Be kind."}, **model_config)}


def test_model_config_defaults():
    minimal = normalize(chat_doc())["model_config"]
    assert minimal["retriever_resource"] == {"enabled": True}
    assert minimal["dataset_configs"] == {"retrieval_model": "multiple"}
    assert minimal["prompt_type"] == "simple"
    assert "annotation_reply" not in minimal
    assert normalize(chat_doc(dataset_configs={"top_k": 2}))["model_config"]["dataset_configs"] == {
        "retrieval_model": "single"}
    assert normalize(chat_doc(suggested_questions=[]))["model_config"]["suggested_questions"] == []


def test_model_config_edits_show():
    base = normalize(chat_doc(model={"provider": "openai", "name": "gpt-4o", "completion_params": {"temperature": 1}}))
    edited = normalize(chat_doc(model={"provider": "openai", "name": "gpt-4o", "completion_params": {"temperature": 0.5}}))
    assert differences(base, edited) == ["model_config.model.completion_params.temperature"]
    assert differences(normalize(chat_doc()), normalize(chat_doc(pre_prompt="Be brief."))) == ["model_config.pre_prompt"]
