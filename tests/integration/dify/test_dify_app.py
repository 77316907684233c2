"""dify_app against the fake console, run as users run it: tasks in ansible-playbook."""

import os
import stat
from pathlib import Path

import yaml

from dify_support import (
    CHAT_DSL,
    EMAIL,
    EXPORTS,
    FIXTURES,
    PASSWORD,
    SOURCES,
    run,
    task,
)

WORKFLOW = str(SOURCES / "echo-workflow.yml")

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures


def edited(tmp_path, source, edit, name="edited.yml"):
    """Write ``source`` (a DSL file path or DSL text) as changed by ``edit``; return the new file's path."""
    text = source if "\n" in source else Path(source).read_text()
    data = yaml.safe_load(text)
    edit(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return str(path)


def retitle(data):
    data["workflow"]["graph"]["nodes"][0]["data"]["title"] = "Begin"


def test_create_then_nothing_to_do(dify):
    first = run(dify, [task("dify_app", src=WORKFLOW)])
    result = first.result("t")
    assert result["changed"] is True and result["operation"] == "create", result
    assert result["import_status"] == "completed" and result["mode"] == "workflow"
    assert [a.id for a in dify.apps_named("basic_auto_test")] == [result["app_id"]]

    dify.reset_counters()
    second = run(dify, [task("dify_app", src=WORKFLOW)])
    again = second.result("t")
    assert again["changed"] is False and again["operation"] == "none" and again["differences"] == []
    assert again["app_id"] == result["app_id"]
    assert dify.write_requests() == []
    assert dify.counts_by_method() == {"GET": 2, "POST": 1}  # list, export; the POST is the login


def test_a_hand_written_dsl_without_feature_defaults_is_imported_once(dify):
    # Issue 17, item 1: Dify fills feature defaults in on import (so does the fake); a DSL that
    # leaves them out must still compare equal to its export, or every run re-imports it.
    for name in ("basic_chatflow", "echo-chat", "echo-workflow"):
        src = str(FIXTURES / "defaults-left-out" / (name + ".yml"))
        first = run(dify, [task("dify_app", src=src)]).result("t")
        assert first["changed"] is True and first["operation"] == "create", first
        dify.reset_counters()
        again = run(dify, [task("dify_app", src=src)]).result("t")
        assert again["changed"] is False and again["differences"] == [], (name, again)
        assert dify.write_requests() == []


def test_a_source_and_its_dify_export_are_the_same_app(dify):
    app = dify.seed((SOURCES / "basic_chatflow.yml").read_text())
    dify.reset_counters()
    out = run(dify, [
        task("dify_app", title="source", src=str(SOURCES / "basic_chatflow.yml")),
        task("dify_app", title="export", src=str(EXPORTS / "exported-basic_chatflow.yml")),
    ])
    for name in ("source", "export"):
        assert out.result(name)["changed"] is False, out.result(name)
        assert out.result(name)["app_id"] == app.id
    assert dify.write_requests() == []


def test_overwrite_in_place_keeps_the_app_id(dify, tmp_path):
    app = dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, retitle)
    out = run(dify, [task("dify_app", src=path), task("dify_app", title="again", src=path)])
    result = out.result("t")
    assert result["changed"] is True and result["operation"] == "overwrite", result
    assert result["app_id"] == app.id
    assert result["differences"] == ["workflow.graph.nodes[0].data.title"]
    assert app.workflow["graph"]["nodes"][0]["data"]["title"] == "Begin"
    assert out.result("again")["changed"] is False


def test_check_mode_sends_no_write_and_diff_tells_the_truth(dify, tmp_path):
    app = dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, retitle)
    new = str(SOURCES / "echo-chat.yml")
    out = run(dify, [task("dify_app", title="overwrite", src=path), task("dify_app", title="create", src=new)],
              check=True, diff=True)
    overwrite, create = out.result("overwrite"), out.result("create")
    assert overwrite["changed"] is True and overwrite["operation"] == "overwrite"
    assert create["changed"] is True and create["operation"] == "create"
    assert dify.write_requests() == []
    assert app.workflow["graph"]["nodes"][0]["data"]["title"] == "User Input"
    assert dify.apps_named("echo-bot") == []
    before, after = overwrite["diff"]["before"], overwrite["diff"]["after"]
    assert "title: User Input" in before and "title: Begin" in after
    assert "title: Begin" not in before
    assert create["diff"]["before"] == "" and "name: echo-bot" in create["diff"]["after"]


def test_chat_app_cannot_be_overwritten_without_recreate(dify, tmp_path):
    app = dify.seed(CHAT_DSL)
    path = edited(tmp_path, CHAT_DSL, lambda d: d["model_config"].update(pre_prompt="Be brief."))
    dify.reset_counters()
    out = run(dify, [task("dify_app", src=path)])
    result = out.result("t")
    assert result["failed"] is True
    assert "Dify overwrites only workflow and advanced-chat apps in place" in result["msg"]
    assert "model_config.pre_prompt" in result["msg"] and "recreate: true" in result["msg"]
    assert dify.write_requests() == []
    assert app.model_config.pre_prompt == "You answer questions about the product."


def test_recreate_backs_up_imports_then_deletes(dify, tmp_path):
    old = dify.seed(CHAT_DSL)
    path = edited(tmp_path, CHAT_DSL, lambda d: d["model_config"].update(pre_prompt="Be brief."))
    backups = tmp_path / "backups"
    out = run(dify, [task("dify_app", src=path, recreate=True, backup_dir=str(backups)),
                     task("dify_app", title="again", src=path, recreate=True, backup_dir=str(backups))])
    result = out.result("t")
    assert result["changed"] is True and result["operation"] == "recreate", result
    assert result["replaced_app_id"] == old.id and result["app_id"] != old.id
    [new] = dify.apps_named("faq-chat")
    assert new.id == result["app_id"] and new.model_config.pre_prompt == "Be brief."
    assert old.id not in dify.service.apps
    backup = result["backup_file"]
    assert backup.startswith(str(backups)) and stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    saved = yaml.safe_load(Path(backup).read_text())
    assert saved["model_config"]["pre_prompt"] == "You answer questions about the product."
    assert out.result("again")["changed"] is False
    assert len(os.listdir(str(backups))) == 1


def test_recreate_keeps_the_old_app_when_dify_refuses_the_new_dsl(dify, tmp_path):
    old = dify.seed(CHAT_DSL)
    path = edited(tmp_path, CHAT_DSL, lambda d: d["model_config"].update(pre_prompt="Be brief."))
    dify.inject("POST", r"/apps/imports$", 400)
    out = run(dify, [task("dify_app", src=path, recreate=True, backup_dir=str(tmp_path / "b"))])
    result = out.result("t")
    assert result["failed"] is True and "was not deleted" in result["msg"], result
    assert old.id in dify.service.apps
    assert not [r for r in dify.requests if r.method == "DELETE"]


def test_mode_change_needs_recreate(dify, tmp_path):
    dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, lambda d: d["app"].update(mode="advanced-chat"))
    out = run(dify, [task("dify_app", src=path)])
    result = out.result("t")
    assert result["failed"] is True and "is a workflow app on the server" in result["msg"], result
    assert "declares mode advanced-chat" in result["msg"]
    assert dify.write_requests() == []


def test_pending_import_fails_naming_both_versions(dify, tmp_path):
    path = edited(tmp_path, WORKFLOW, lambda d: d.update(version="0.7.0"))
    out = run(dify, [task("dify_app", src=path)])
    result = out.result("t")
    assert result["failed"] is True
    assert "DSL version 0.7.0" in result["msg"] and "speaks DSL version 0.6.0" in result["msg"]
    assert "allow_version_mismatch" in result["msg"] and "Nothing was changed" in result["msg"]
    assert dify.service.apps == {}  # pending: nothing created
    assert [r.path for r in dify.write_requests()] == ["/console/api/apps/imports"]


def test_pending_import_is_confirmed_when_allowed(dify, tmp_path):
    path = edited(tmp_path, WORKFLOW, lambda d: d.update(version="0.7.0"))
    out = run(dify, [task("dify_app", src=path, allow_version_mismatch=True)])
    result = out.result("t")
    assert result["changed"] is True and result["import_status"] == "completed", result
    assert [w["code"] for w in result["import_warnings"]] == ["confirmed_version_mismatch"]
    assert [r.path for r in dify.write_requests()][-1].endswith("/confirm")
    assert dify.apps_named("basic_auto_test")


def test_pending_is_predicted_for_an_existing_app_even_in_check_mode(dify, tmp_path):
    dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, lambda d: (d.update(version="1.0.0"), retitle(d)))
    out = run(dify, [task("dify_app", src=path)], check=True)
    result = out.result("t")
    assert result["failed"] is True and "DSL version 1.0.0" in result["msg"], result
    assert dify.write_requests() == []


def test_older_dsl_completes_with_warnings(dify):
    out = run(dify, [task("dify_app", src=str(SOURCES / "basic_chatflow.yml"))])
    result = out.result("t")
    assert result["import_status"] == "completed-with-warnings"
    assert result["import_warnings"][0]["code"] == "older_dsl_version"
    assert "0.3.1" in result["import_warnings"][0]["message"]


def test_bad_files_fail_before_any_request(dify, tmp_path):
    files = {
        "malformed.yml": "app:\n  name: [oops\n",
        "no-app.yml": "version: '0.6.0'\nworkflow: {}\n",
        "bad-mode.yml": "app:\n  name: x\n  mode: chatbot\n",
    }
    tasks = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        tasks.append(task("dify_app", title=name, src=str(tmp_path / name)))
    tasks.append(task("dify_app", title="content", content="kind: app\n"))
    out = run(dify, tasks)
    messages = {name: out.result(name)["msg"] for name in [*files, "content"]}
    assert "is not valid YAML" in messages["malformed.yml"]
    assert "has no `app` section" in messages["no-app.yml"]
    assert "'chatbot' is not a Dify app mode" in messages["bad-mode.yml"]
    assert "has no `app` section" in messages["content"]
    assert all(out.result(n)["failed"] for n in messages)
    assert dify.requests == []


def test_content_as_text_and_name_override(dify):
    text = Path(WORKFLOW).read_text()
    out = run(dify, [
        task("dify_app", title="first", content=text, name="copy-a"),
    ])
    assert out.result("first")["changed"] is True, out.result("first")
    [copy] = dify.apps_named("copy-a")
    again = run(dify, [task("dify_app", title="second", content=text, name="copy-a")])
    assert again.result("second")["changed"] is False and again.result("second")["app_id"] == copy.id
    assert dify.apps_named("basic_auto_test") == []


def test_match_by_app_id(dify, tmp_path):
    app = dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, lambda d: d["app"].update(name="renamed"))
    out = run(dify, [task("dify_app", src=path, app_id=app.id),
                     task("dify_app", title="missing", src=path, app_id="00000000-0000-0000-0000-000000000000")])
    assert out.result("t")["operation"] == "overwrite" and app.name == "renamed"
    assert "no app with id 00000000-0000-0000-0000-000000000000" in out.result("missing")["msg"]


def test_two_apps_with_one_name_is_an_error(dify):
    first, second = dify.seed(Path(WORKFLOW).read_text()), dify.seed(Path(WORKFLOW).read_text())
    out = run(dify, [task("dify_app", src=WORKFLOW)])
    msg = out.result("t")["msg"]
    assert "2 apps are named 'basic_auto_test'" in msg and first.id in msg and second.id in msg


def test_icon_as_answer_icon_cannot_be_imported(dify, tmp_path):
    dify.seed(Path(WORKFLOW).read_text())
    path = edited(tmp_path, WORKFLOW, lambda d: d["app"].update(use_icon_as_answer_icon=True))
    out = run(dify, [task("dify_app", src=path)])
    result = out.result("t")
    assert result["changed"] is False and result["differences"] == ["app.use_icon_as_answer_icon"]
    assert any("a DSL import cannot change" in w for w in result.get("warnings", []))
    assert dify.write_requests() == []


def test_secret_variables_compare_by_value_and_never_show(dify, tmp_path):
    def with_secret(value):
        def edit(data):
            data["workflow"]["environment_variables"] = [
                {"name": "api_key", "value": value, "value_type": "secret"}]
        return edit

    first = edited(tmp_path, WORKFLOW, with_secret("sk-first-0001"), "first.yml")
    second = edited(tmp_path, WORKFLOW, with_secret("sk-second-0002"), "second.yml")
    out = run(dify, [task("dify_app", title="create", src=first), task("dify_app", title="same", src=first),
                     task("dify_app", title="rotate", src=second)], diff=True)
    assert out.result("create")["changed"] is True
    assert out.result("same")["changed"] is False
    rotate = out.result("rotate")
    assert rotate["changed"] is True
    assert rotate["differences"] == ["workflow.environment_variables[0].value"]
    assert "******** (changed)" in rotate["diff"]["after"]
    everything = out.stdout + out.stderr
    assert "sk-first-0001" not in everything and "sk-second-0002" not in everything
    [app] = dify.apps_named("basic_auto_test")
    assert app.workflow["environment_variables"][0]["value"] == "sk-second-0002"


def test_state_absent(dify, tmp_path):
    app = dify.seed(Path(WORKFLOW).read_text())
    check = run(dify, [task("dify_app", name="basic_auto_test", state="absent")], check=True)
    assert check.result("t")["changed"] is True and app.id in dify.service.apps
    assert dify.write_requests() == []
    out = run(dify, [task("dify_app", src=WORKFLOW, state="absent", backup_dir=str(tmp_path)),
                     task("dify_app", title="again", src=WORKFLOW, state="absent")])
    assert out.result("t")["changed"] is True and app.id not in dify.service.apps
    assert os.path.exists(out.result("t")["backup_file"])
    assert out.result("again")["changed"] is False


def test_passwords_and_keys_never_appear(dify):
    dify.admin_api_key = "adm-key-Zq8sK2"
    out = run(dify, [task("dify_app", src=WORKFLOW)], verbosity=3)
    assert out.result("t")["changed"] is True
    api = run(dify, [task("dify_app", src=WORKFLOW)], verbosity=3, email=None, password=None,
              admin_api_key="adm-key-Zq8sK2", workspace_id=dify.tenant_id)
    assert api.result("t")["changed"] is False, api.result("t")
    wrong = run(dify, [task("dify_app", src=WORKFLOW)], password="Wrong-Passw0rd")
    assert "Dify refused the login of %s (HTTP 401)" % EMAIL in wrong.result("t")["msg"]
    for run_ in (out, api, wrong):
        everything = run_.stdout + run_.stderr
        assert PASSWORD not in everything and "adm-key-Zq8sK2" not in everything
        assert "Wrong-Passw0rd" not in everything


def test_expired_access_token_is_refreshed(dify):
    dify.access_token_max_uses = 1
    out = run(dify, [task("dify_app", src=WORKFLOW)])
    assert out.result("t")["changed"] is True, out.result("t")
    paths = [r.path for r in dify.requests]
    assert "/console/api/refresh-token" in paths


def test_retries_are_bounded_and_only_for_5xx_and_connection_errors(dify):
    app = dify.seed(Path(WORKFLOW).read_text())
    dify.inject("GET", r"/apps$", 503, times=2)
    dify.inject("GET", r"/export$", None, times=1)  # connection dropped
    ok = run(dify, [task("dify_app", src=WORKFLOW)], retries=3)
    assert ok.result("t")["changed"] is False, ok.result("t")
    assert ok.result("t")["request_count"] == 1 + 3 + 2  # login, list x3, export x2

    dify.reset_counters()
    dify.plugin_daemon_up = False  # a 400: never retried
    down = run(dify, [task("dify_app", src=WORKFLOW)], retries=3)
    assert "plugin daemon did not answer" in down.result("t")["msg"]
    assert len([r for r in dify.requests if r.path.endswith("/export")]) == 1

    dify.reset_counters()
    dify.plugin_daemon_up = True
    dify.service.apps[app.id].workflow = None  # Dify answers 500 for an app without a draft workflow
    broken = run(dify, [task("dify_app", src=WORKFLOW)], retries=2)
    msg = broken.result("t")["msg"]
    assert "HTTP 500 to the export of app 'basic_auto_test'" in msg and "after 3 attempt(s)" in msg
    assert len([r for r in dify.requests if r.path.endswith("/export")]) == 3


def test_a_failed_create_is_not_retried_and_a_rerun_recovers(dify):
    dify.inject("POST", r"/apps/imports$", 503)
    failed = run(dify, [task("dify_app", src=WORKFLOW)], retries=3).result("t")
    assert "It was not retried, because Dify may have created the app anyway" in failed["msg"], failed
    assert len([r for r in dify.requests if r.path.endswith("/apps/imports")]) == 1
    again = run(dify, [task("dify_app", src=WORKFLOW)], retries=3).result("t")
    assert again["operation"] == "create" and len(dify.apps_named("basic_auto_test")) == 1


def test_unreachable_server_fails_clearly(dify):
    dify.stop()
    out = run(dify, [task("dify_app", src=WORKFLOW)], retries=1)
    assert "cannot reach" in out.result("t")["msg"]


def test_a_directory_is_planned_whole_then_applied(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    for name in ("echo-workflow.yml", "echo-chat.yml", "basic_chatflow.yml"):
        (apps / name).write_text((SOURCES / name).read_text())
    (apps / "README.md").write_text("not a DSL")
    first = run(dify, [task("dify_app", src=str(apps))]).result("t")
    assert first["changed"] is True, first
    assert [(os.path.basename(r["src"]), r["operation"]) for r in first["apps"]] == [
        ("basic_chatflow.yml", "create"), ("echo-chat.yml", "create"), ("echo-workflow.yml", "create")]
    assert first["request_count"] == 1 + 1 + 3  # login, one list, three imports

    dify.reset_counters()
    again = run(dify, [task("dify_app", src=str(apps))]).result("t")
    assert again["changed"] is False and {r["operation"] for r in again["apps"]} == {"none"}
    assert again["request_count"] == 1 + 1 + 3  # login, one list, three exports
    assert dify.write_requests() == []


def test_a_directory_with_any_problem_changes_nothing(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    dify.seed(CHAT_DSL)
    (apps / "a-new.yml").write_text((SOURCES / "echo-chat.yml").read_text())
    (apps / "b-chat.yml").write_text(CHAT_DSL.replace("You answer questions", "You answer briefly"))
    (apps / "c-twin.yml").write_text((SOURCES / "echo-chat.yml").read_text())
    (apps / "d-newer.yml").write_text(Path(WORKFLOW).read_text().replace("version: 0.6.0", "version: 0.7.0"))
    out = run(dify, [task("dify_app", src=str(apps))], check=True)
    msg = out.result("t")["msg"]
    assert msg.startswith("3 of 4 DSL file(s) in %s cannot be applied; nothing was changed" % apps), msg
    assert "b-chat.yml (mode chat) differs" in msg or "b-chat.yml" in msg.split("\n")[1]
    assert "c-twin.yml: declares app 'echo-bot', as %s does" % (apps / "a-new.yml") in msg
    # The server's DSL version is known from the export of the chat app.
    assert "d-newer.yml has DSL version 0.7.0 but this Dify speaks DSL version 0.6.0" in msg

    same = run(dify, [task("dify_app", src=str(apps))]).result("t")
    assert same["msg"] == msg
    assert dify.write_requests() == [] and not dify.apps_named("echo-bot")

    refused = run(dify, [task("dify_app", src=str(apps), name="x", title="name")]).result("name")
    assert "cannot be combined with a directory" in refused["msg"]
