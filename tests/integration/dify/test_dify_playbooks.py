"""The backup and restore playbooks (and the dify_apps role under them), run by FQCN."""

import base64
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path


from dify_support import (
    CHAT_DSL,
    PASSWORD,
    SOURCES,
    role_vars,
    run_playbook,
)

from helpers.paths import CACHE
from helpers.cluster import ensure_local_cluster

pytest_plugins = ("dify_fixtures",)  # the dify and tls_files fixtures


def files(directory):
    return {path.name: path.read_bytes() for path in sorted(Path(directory).iterdir())}


def test_backup_then_restore_into_an_empty_dify(dify, tmp_path):
    for name in ("echo-workflow.yml", "echo-chat.yml", "basic_chatflow.yml"):
        dify.seed((SOURCES / name).read_text())
    dify.seed(CHAT_DSL)
    backup = tmp_path / "dify-apps"
    first = run_playbook("dify_apps_export", role_vars(dify, backup))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert first.stats["changed"] == 1
    before = files(str(backup))
    assert len(before) == 4

    dify.reset_counters()
    second = run_playbook("dify_apps_export", role_vars(dify, backup))
    assert second.returncode == 0 and second.stats["changed"] == 0
    assert files(str(backup)) == before
    assert dify.write_requests() == []

    # Restore into a Dify that lost everything.
    dify.service.apps.clear()
    restore = run_playbook("dify_apps_import", role_vars(dify, backup))
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr
    restored = sorted(a.name for a in dify.service.apps.values())
    assert restored == ["basic_auto_test", "basic_chatflow", "echo-bot", "faq-chat"]
    assert PASSWORD not in restore.stdout + restore.stderr

    # Applying the same directory again changes nothing and writes nothing.
    dify.reset_counters()
    again = run_playbook("dify_apps_import", role_vars(dify, backup))
    assert again.returncode == 0 and again.stats["changed"] == 0, again.stats
    assert dify.write_requests() == []


def test_bad_files_are_reported_together_before_any_change(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    shutil.copy(str(SOURCES / "echo-chat.yml"), str(apps / "good.yml"))
    (apps / "broken.yml").write_text("app:\n  name: [oops\n")
    (apps / "no-app.yml").write_text("version: '0.6.0'\nkind: app\n")
    (apps / "bad-mode.yaml").write_text("app:\n  name: x\n  mode: chatbot\n")
    (apps / "notes.txt").write_text("not a DSL file")
    out = run_playbook("dify_apps_import", role_vars(dify, apps))
    assert out.returncode != 0
    failure = [r for r in out.results if r.get("failed")]
    assert len(failure) == 1
    msg = failure[0]["msg"]
    assert msg.startswith("3 of 4 DSL file(s) in %s cannot be applied; nothing was changed" % apps)
    for name, problem in (("broken.yml", "is not valid YAML"), ("no-app.yml", "has no `app` section"),
                          ("bad-mode.yaml", "'chatbot' is not a Dify app mode")):
        [line] = [line for line in msg.splitlines() if line.startswith("- %s: " % (apps / name))]
        assert problem in line
    assert dify.write_requests() == []
    assert dify.service.apps == {}


def test_an_app_dify_cannot_overwrite_stops_the_whole_import(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    dify.seed(CHAT_DSL)
    (apps / "faq.yml").write_text(CHAT_DSL.replace("You answer questions", "You answer briefly"))
    shutil.copy(str(SOURCES / "echo-chat.yml"), str(apps / "echo.yml"))
    out = run_playbook("dify_apps_import", role_vars(dify, apps))
    assert out.returncode != 0
    assert "Dify overwrites only workflow and advanced-chat apps" in out.stdout
    assert dify.write_requests() == [] and not dify.apps_named("echo-bot")
    backups = str(tmp_path / "backups")
    fixed = run_playbook("dify_apps_import", role_vars(dify, apps, dify_apps_recreate=True, dify_apps_backup_dir=backups))
    assert fixed.returncode == 0, fixed.stdout[-3000:]
    assert dify.apps_named("echo-bot") and len(os.listdir(str(tmp_path / "backups"))) == 1


def langfuse_vars(dify, pk, sk, host="http://langfuse-web.dify-platform.svc:3000"):
    return {"dify_apps_langfuse_tracing": "enabled", "dify_apps_langfuse_public_key": pk,
            "dify_apps_langfuse_secret_key": sk, "dify_apps_langfuse_host": host}


def traced(dify):
    return sorted(a.name for a in dify.service.apps.values()
                  if dify.tracing.get_app_trace(a.id) == {"enabled": True, "tracing_provider": "langfuse"}
                  and dify.tracing.stored_keys(a.id))


def test_every_imported_app_traces_to_langfuse(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    for name in ("echo-workflow.yml", "echo-chat.yml"):
        shutil.copy(str(SOURCES / name), str(apps / name))
    (apps / "faq.yml").write_text(CHAT_DSL)
    dify.seed(CHAT_DSL)  # one app exists already and is unchanged: it is traced too
    dify.seed((SOURCES / "basic_chatflow.yml").read_text())  # not in the directory: left alone
    pk, sk = "pk-lf-" + "1" * 36, "sk-lf-" + "2" * 34 + "ab"
    dify.tracing.add_langfuse_project("http://langfuse-web.dify-platform.svc:3000", pk, sk)

    first = run_playbook("dify_apps_import", dict(role_vars(dify, apps), **langfuse_vars(dify, pk, sk)))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr
    assert traced(dify) == ["basic_auto_test", "echo-bot", "faq-chat"]
    assert dify.tracing.get_app_trace(dify.apps_named("basic_chatflow")[0].id)["enabled"] is False
    for secret in (pk, sk, PASSWORD):
        assert secret not in first.stdout + first.stderr

    dify.reset_counters()
    again = run_playbook("dify_apps_import", dict(role_vars(dify, apps), **langfuse_vars(dify, pk, sk)))
    assert again.returncode == 0 and again.stats["changed"] == 0, again.stats
    assert dify.write_requests() == []


def test_tracing_is_off_without_the_platform_and_its_keys_are_read_before_any_import(dify, tmp_path):
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "faq.yml").write_text(CHAT_DSL)
    # A standalone run (no platform inventory): auto leaves tracing alone.
    plain = run_playbook("dify_apps_import", role_vars(dify, apps))
    assert plain.returncode == 0 and traced(dify) == []
    assert not any(r.path.endswith(("/trace", "/trace-config")) for r in dify.requests)

    dify.service.apps.clear()
    dify.reset_counters()
    # With the platform (auto), keys given half-way stop the run before any import.
    half = run_playbook("dify_apps_import", dict(role_vars(dify, apps), dify_platform_namespace="dify-platform",
                                                 dify_apps_langfuse_public_key="pk-lf-x"))
    assert half.returncode != 0
    assert "Give dify_apps_langfuse_public_key, dify_apps_langfuse_secret_key and dify_apps_langfuse_host" in half.stdout
    assert dify.service.apps == {} and dify.write_requests() == []

    # Explicitly disabled: nothing about tracing is read or written.
    off = run_playbook("dify_apps_import", dict(role_vars(dify, apps), dify_platform_namespace="dify-platform",
                                                dify_apps_langfuse_tracing="disabled"))
    assert off.returncode == 0 and traced(dify) == []


def kubectl_on_local_cluster():
    """A kubectl runner for the local control plane (hack/localcluster), started if it is down."""
    kubeconfig = ensure_local_cluster()
    kubectl = CACHE / "bin" / "kubectl"
    env = dict(os.environ, KUBECONFIG=kubeconfig, K8S_AUTH_KUBECONFIG=kubeconfig)

    def kubectl_run(*args, stdin=None):
        return subprocess.run([str(kubectl), *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120, check=True)
    return kubectl_run, kubeconfig


def test_the_keys_come_from_the_secret_the_langfuse_role_writes(dify, tmp_path, monkeypatch):
    kubectl, kubeconfig = kubectl_on_local_cluster()
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", kubeconfig)
    namespace = "dify-apps-test-" + uuid.uuid4().hex[:6]
    host = "http://langfuse-web.%s.svc:3000" % namespace
    pk, sk = "pk-lf-" + str(uuid.uuid4()), "sk-lf-" + str(uuid.uuid4())
    dify.tracing.add_langfuse_project(host, pk, sk)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dify-platform-langfuse-api",
                                                                 "namespace": namespace},
              "data": dict((k, base64.b64encode(v.encode()).decode()) for k, v in
                           (("public_key", pk), ("secret_key", sk), ("host", host)))}
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "faq.yml").write_text(CHAT_DSL)
    kubectl("create", "namespace", namespace)
    try:
        # The Secret is not there yet: the run stops before any import.
        early = run_playbook("dify_apps_import", dict(role_vars(dify, apps), dify_platform_namespace=namespace))
        assert early.returncode != 0
        assert "Secret dify-platform-langfuse-api in namespace %s does not exist" % namespace in early.stdout
        assert dify.write_requests() == [] and dify.service.apps == {}

        kubectl("apply", "-f", "-", stdin=json.dumps(secret))
        out = run_playbook("dify_apps_import", dict(role_vars(dify, apps), dify_platform_namespace=namespace))
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr
        assert traced(dify) == ["faq-chat"]
        [app] = dify.apps_named("faq-chat")
        assert dify.tracing.stored_keys(app.id) == {"public_key": pk, "secret_key": sk, "host": host}
        assert sk not in out.stdout + out.stderr and pk not in out.stdout + out.stderr
    finally:
        kubectl("delete", "namespace", namespace, "--wait=false")
