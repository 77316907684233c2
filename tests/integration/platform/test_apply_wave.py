"""The apply_wave action against a real kube-apiserver (the local control plane).

Every case runs the action through ansible-playbook, as the roles do, in a
namespace of its own, and reads the cluster back with kubectl to check what
really happened.
"""

import json
import subprocess
import uuid

import pytest

from helpers.cluster import ensure_local_cluster
from helpers.paths import CACHE
from helpers.playbook import run_tasks

KUBECTL = str(CACHE / "bin" / "kubectl")


@pytest.fixture(scope="module")
def kubeconfig():
    return ensure_local_cluster()


@pytest.fixture
def namespace(kubeconfig):
    name = "apply-wave-" + uuid.uuid4().hex[:8]
    yield name
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", "--ignore-not-found")


def kubectl(kubeconfig, *args):
    proc = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True,
                          timeout=60, check=False)
    return proc


def read(kubeconfig, kind, name, namespace):
    proc = kubectl(kubeconfig, "get", kind, name, "-n", namespace, "-o", "json")
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def apply(kubeconfig, objects, check=False, diff=False, **args):
    task = {"name": "apply", "airgap.dify_platform.apply_wave": dict({"wave": 1, "component": "test", "objects": objects}, **args)}
    run = run_tasks([task], check=check, diff=diff, extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    return run, run.result("apply")


def ns_obj(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def config_map(namespace, value):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": namespace},
            "data": {"mode": value}}


def secret(namespace, value):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": namespace},
            "stringData": {"password": value}}


def actions(result):
    return [o["action"] for o in result["objects"]]


def test_create_then_noop_then_update(kubeconfig, namespace):
    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "a")])
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] and actions(result) == ["created", "created"]
    rv = read(kubeconfig, "configmap", "settings", namespace)["metadata"]["resourceVersion"]

    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "a")])
    assert not result["changed"] and actions(result) == ["unchanged", "unchanged"]
    assert read(kubeconfig, "configmap", "settings", namespace)["metadata"]["resourceVersion"] == rv

    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "b")])
    assert result["changed"] and actions(result) == ["unchanged", "configured"]
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": "b"}
    assert result["report"]["objects"] == 2 and result["report"]["wave"] == 1


def test_check_mode_tells_the_truth_and_changes_nothing(kubeconfig, namespace):
    apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "a"), secret(namespace, "old-value-1")])
    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "z"), secret(namespace, "new-value-2")],
                        check=True, diff=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert actions(result) == ["unchanged", "configured", "configured"]
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": "a"}
    assert "old-value-1" not in run.stdout and "new-value-2" not in run.stdout
    secret_diff = next(d for d in result["diff"] if d["after_header"].startswith("Secret"))
    assert secret_diff["after"]["data"] == {"password": "******** (changed)"}

    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "a")], check=True)
    assert not result["changed"]


def test_check_mode_in_a_namespace_the_run_would_create(kubeconfig):
    name = "apply-wave-new-" + uuid.uuid4().hex[:8]
    run, result = apply(kubeconfig, [ns_obj(name), config_map(name, "a")], check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] and actions(result) == ["created", "created"]
    assert kubectl(kubeconfig, "get", "namespace", name).returncode != 0


def test_create_only_never_rewrites(kubeconfig, namespace):
    apply(kubeconfig, [ns_obj(namespace), secret(namespace, "first-value")])
    run, result = apply(kubeconfig, [secret(namespace, "second-value")], create_only=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert not result["changed"] and actions(result) == ["unchanged"]
    data = read(kubeconfig, "secret", "creds", namespace)["data"]["password"]
    assert data == "Zmlyc3QtdmFsdWU="  # base64 of first-value


def stuck_deployment(namespace):
    """A Deployment no node can run, so it never becomes available."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stuck", "namespace": namespace},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "stuck"}}, "template": {
            "metadata": {"labels": {"app": "stuck"}},
            "spec": {"nodeSelector": {"no-such-node": "true"}, "containers": [{
                "name": "c", "image": "registry.example.internal/x@sha256:" + "0" * 64,
                "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}]}}},
    }


def test_a_timeout_names_the_blocking_object_and_its_events(kubeconfig, namespace):
    deployment = stuck_deployment(namespace)
    run = apply(kubeconfig, [ns_obj(namespace), deployment], wait_timeout=6, wait_sleep=1)[0]
    assert run.returncode != 0
    message = run.result("apply")["msg"]
    assert message.startswith("Wave 1 (test) did not become ready within 6s.")
    assert "Blocked by Deployment %s/stuck" % namespace in message


def test_an_unknown_kind_is_named_and_nothing_is_applied(kubeconfig, namespace):
    widget = {"apiVersion": "example.internal/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": namespace}}
    run = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, "a"), widget])[0]
    assert run.returncode != 0
    assert "example.internal/v1 Widget is not served by the cluster" in run.result("apply")["msg"]
    assert kubectl(kubeconfig, "get", "namespace", namespace).returncode != 0


def test_served_kinds_names_what_the_cluster_serves(kubeconfig):
    task = {"name": "served", "ansible.builtin.debug": {
        "msg": "{{ lookup('airgap.dify_platform.served_kinds', 'v1', 'route.openshift.io/v1', 'example.internal/v1') }}"}}
    run = run_tasks([task], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    served = run.result("served")["msg"]
    assert "Namespace" in served["v1"] and "Route" in served["route.openshift.io/v1"]
    assert served["example.internal/v1"] == []


def test_templates_render_on_the_controller_with_includes_and_task_vars(kubeconfig, namespace, tmp_path):
    """Each template may hold several documents (empty ones dropped) and include a file beside it."""
    (tmp_path / "labels.j2").write_text("{{ {'app': app_name} | to_json }}")
    (tmp_path / "wave.yml.j2").write_text(
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: first, namespace: %s, labels: {%% include 'labels.j2' %%}}\n"
        "data: {mode: '{{ mode }}'}\n"
        "---\n"
        "{%% if false %%}nothing: here{%% endif %%}\n"
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: second, namespace: %s}\n" % (namespace, namespace))
    (tmp_path / "namespace.yml.j2").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n" % namespace)
    task = {"name": "apply", "airgap.dify_platform.apply_wave": {
        "wave": 1, "component": "test", "templates": [str(tmp_path / "namespace.yml.j2"), str(tmp_path / "wave.yml.j2")],
        "objects": [config_map(namespace, "given")]},
        "vars": {"mode": "templated", "app_name": "demo"}}
    run = run_tasks([task], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    result = run.result("apply")
    assert run.returncode == 0, run.stdout[-3000:]
    assert [o["ref"] for o in result["objects"]] == [
        "Namespace " + namespace, "ConfigMap %s/first" % namespace, "ConfigMap %s/second" % namespace,
        "ConfigMap %s/settings" % namespace]
    first = read(kubeconfig, "configmap", "first", namespace)
    assert first["data"] == {"mode": "templated"} and first["metadata"]["labels"] == {"app": "demo"}


def test_a_template_that_is_not_a_manifest_is_named(kubeconfig, tmp_path):
    (tmp_path / "broken.yml.j2").write_text("---\n- just\n- a list\n")
    result = apply(kubeconfig, [], templates=[str(tmp_path / "broken.yml.j2")])[1]
    assert result["failed"] and "broken.yml.j2: document 1 is not a mapping" in result["msg"]


def test_an_object_nobody_changed_is_not_sent_again_and_drift_is_repaired(kubeconfig, namespace, tmp_path):
    record = str(tmp_path / "applied")
    objects = [ns_obj(namespace), config_map(namespace, "a"), secret(namespace, "s3cret")]
    result = apply(kubeconfig, objects, applied_record_dir=record)[1]
    assert result["sent"] == 3 and actions(result) == ["created"] * 3

    result = apply(kubeconfig, objects, applied_record_dir=record)[1]
    assert not result["changed"] and actions(result) == ["unchanged"] * 3
    assert result["sent"] == 1, "only the Secret, which is never recorded, is sent again"

    drift = kubectl(kubeconfig, "patch", "configmap", "settings", "-n", namespace, "--type", "merge",
                    "-p", '{"data": {"mode": "drifted"}}')
    assert drift.returncode == 0, drift.stderr
    result = apply(kubeconfig, objects, applied_record_dir=record)[1]
    assert result["changed"] and actions(result) == ["unchanged", "configured", "unchanged"] and result["sent"] == 2
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": "a"}

    result = apply(kubeconfig, objects, applied_record_dir="")[1]
    assert not result["changed"] and result["sent"] == 3, "an empty applied_record_dir turns the record off"


def test_a_step_starts_only_once_the_previous_step_is_ready(kubeconfig, namespace):
    task = {"name": "apply", "airgap.dify_platform.apply_wave": {
        "wave": 1, "component": "test", "wait_timeout": 4, "wait_sleep": 1, "steps": [
            {"objects": [ns_obj(namespace), config_map(namespace, "first")]},
            {"objects": [stuck_deployment(namespace)]},
            {"objects": [secret(namespace, "after-the-rollout")]}]}}
    run = run_tasks([task], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
    assert run.returncode != 0 and "Blocked by Deployment %s/stuck" % namespace in run.result("apply")["msg"]
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": "first"}
    assert read(kubeconfig, "secret", "creds", namespace) is None, "the step after the stuck rollout was applied"


def test_steps_exclude_templates_and_objects(kubeconfig, namespace):
    result = apply(kubeconfig, [config_map(namespace, "a")], steps=[{"objects": [ns_obj(namespace)]}])[1]
    assert result["failed"] and "either steps, or templates and objects" in result["msg"]


def test_a_template_with_the_same_inputs_is_not_rendered_again(kubeconfig, namespace, tmp_path):
    """The memo of rendered templates: recalled while sources, inputs and the cluster are as
    last applied; rendered again when any of them changed."""
    record = str(tmp_path / "applied")
    (tmp_path / "labels.j2").write_text("{{ {'app': app_name} | to_json }}")
    (tmp_path / "namespace.yml.j2").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: '{{ ns }}'}\n")
    (tmp_path / "config.yml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: settings, namespace: '{{ ns }}', labels: {% include 'labels.j2' %}}\n"
        "data: {host: '{{ host }}'}\n")
    (tmp_path / "secret.yml.j2").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: '{{ ns }}'}\nstringData: {a: b}\n")
    (tmp_path / "env.yml.j2").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env, namespace: '{{ ns }}'}\n"
        "data: {home: \"{{ lookup('ansible.builtin.env', 'HOME') }}\"}\n")
    templates = [str(tmp_path / name) for name in ("namespace.yml.j2", "config.yml.j2", "secret.yml.j2", "env.yml.j2")]

    def run(domain="apps.example.internal"):
        # host is rendered from domain, a variable the template never names itself.
        task = {"name": "apply", "airgap.dify_platform.apply_wave": {
            "wave": 1, "component": "test", "templates": templates, "applied_record_dir": record},
            "vars": {"ns": namespace, "app_name": "demo", "host": "dify.{{ domain }}", "domain": domain}}
        proc = run_tasks([task], extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
        assert proc.returncode == 0, proc.stdout[-3000:]
        return proc.result("apply")

    def settings():
        return read(kubeconfig, "configmap", "settings", namespace)

    result = run()
    assert (result["rendered"], result["recalled"]) == (4, 0) and result["created"] == 4

    result = run()
    assert not result["changed"] and (result["rendered"], result["recalled"]) == (2, 2), \
        "the Secret and the lookup are rendered on every run, the others recalled"
    assert result["sent"] == 1, "only the Secret, which is never recorded, is sent"

    result = run(domain="apps.other.internal")
    assert result["changed"] and result["rendered"] == 3 and settings()["data"] == {"host": "dify.apps.other.internal"}
    assert run(domain="apps.other.internal")["rendered"] == 2

    (tmp_path / "labels.j2").write_text("{{ {'app': app_name, 'tier': 'config'} | to_json }}")
    result = run(domain="apps.other.internal")
    assert result["changed"] and result["rendered"] == 3, "an included file changed"
    assert settings()["metadata"]["labels"] == {"app": "demo", "tier": "config"}

    drift = kubectl(kubeconfig, "patch", "configmap", "settings", "-n", namespace, "--type", "merge",
                    "-p", '{"data": {"host": "drifted"}}')
    assert drift.returncode == 0, drift.stderr
    result = run(domain="apps.other.internal")
    assert result["changed"] and result["rendered"] == 3, "a recalled object changed by someone else is rendered again"
    assert settings()["data"] == {"host": "dify.apps.other.internal"}

    for path in (tmp_path / "applied").iterdir():
        if path.name != "rendered.json":
            path.unlink()  # the record is lost, the memo kept: nothing can be confirmed, so all is rendered
    result = run(domain="apps.other.internal")
    assert not result["changed"] and result["rendered"] == 4 and result["sent"] == 4


# Gates judged at the generation applied. kwok's stages (hack/localcluster/stages) play
# the operators: each writes the new status 1-3 s after a spec change, so a gate that
# passed on the old status returns before the new one is there. The timeout is generous:
# on a loaded machine kwok may take far longer than its stages' delays.
GATE_TIMEOUT = 180


def keycloak(namespace, image):
    return {"apiVersion": "k8s.keycloak.org/v2alpha1", "kind": "Keycloak", "metadata": {"name": "kc", "namespace": namespace},
            "spec": {"instances": 1, "image": image}}


def test_a_keycloak_gate_waits_for_the_generation_applied(kubeconfig, namespace):
    for generation, image in ((1, "registry.example.internal/keycloak:26.4.7"), (2, "registry.example.internal/keycloak:26.4.8")):
        run = apply(kubeconfig, [ns_obj(namespace), keycloak(namespace, image)], wait_timeout=GATE_TIMEOUT, wait_sleep=1)[0]
        assert run.returncode == 0, run.stdout[-3000:]
        live = read(kubeconfig, "keycloaks.k8s.keycloak.org", "kc", namespace)
        assert live["metadata"]["generation"] == generation
        assert live["status"]["observedGeneration"] == generation, "the gate passed on the previous generation's status"


def cnpg_cluster(namespace, image):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "pg", "namespace": namespace},
            "spec": {"instances": 1, "imageName": image, "storage": {"size": "1Gi"}}}


def test_a_cnpg_cluster_gate_waits_for_the_image_applied(kubeconfig, namespace):
    """CloudNativePG publishes no generation: an image bump waits until status.image is the new image."""
    for tag in ("17.10", "17.11"):
        image = "registry.example.internal/postgresql:%s@sha256:%s" % (tag, tag[-1] * 64)
        run = apply(kubeconfig, [ns_obj(namespace), cnpg_cluster(namespace, image)], wait_timeout=GATE_TIMEOUT, wait_sleep=1)[0]
        assert run.returncode == 0, run.stdout[-3000:]
        assert read(kubeconfig, "clusters.postgresql.cnpg.io", "pg", namespace)["status"]["image"] == image, \
            "the gate passed on the previous image's status"


def cnpg_database(namespace, extensions):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database", "metadata": {"name": "pg-dify", "namespace": namespace},
            "spec": {"cluster": {"name": "pg"}, "name": "dify", "owner": "dify", "ensure": "present",
                     "extensions": [{"name": e, "ensure": "present"} for e in extensions]}}


def test_a_cnpg_database_is_a_gate_at_its_generation(kubeconfig, namespace):
    for generation, extensions in ((1, ["vector"]), (2, ["vector", "pg_trgm"])):
        run, result = apply(kubeconfig, [ns_obj(namespace), cnpg_database(namespace, extensions)], wait_timeout=GATE_TIMEOUT, wait_sleep=1)
        assert run.returncode == 0, run.stdout[-3000:]
        assert "Database %s/pg-dify" % namespace in result["gates"]
        live = read(kubeconfig, "databases.postgresql.cnpg.io", "pg-dify", namespace)
        assert live["metadata"]["generation"] == generation
        assert live["status"] == {"applied": True, "observedGeneration": generation, "message": ""}


def migration_job(namespace):
    security = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": namespace},
            "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [{
                "name": "migrate", "image": "registry.example.internal/api@sha256:" + "0" * 64,
                "command": ["flask", "upgrade-db"], "securityContext": security}]}}}}


def failing_pods_stage(namespace):
    """A kwok Stage that fails the Job pods of one namespace: the migration's cause of failure,
    outside the Job's manifest (a database down). Its weight wins over pod-complete."""
    return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "test-job-fails-" + namespace},
            "spec": {"resourceRef": {"apiGroup": "v1", "kind": "Pod"}, "weight": 1, "selector": {"matchExpressions": [
                {"key": ".metadata.namespace", "operator": "In", "values": [namespace]},
                {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                {"key": ".status.phase", "operator": "In", "values": ["Running"]},
                {"key": ".metadata.ownerReferences.[].kind", "operator": "In", "values": ["Job"]}]},
                "next": {"statusTemplate": (
                    "{{ $now := Now }}\nphase: Failed\nconditions:\n- {type: Ready, status: \"False\", lastTransitionTime: {{ $now | Quote }}}\n"
                    "containerStatuses:\n{{ range .spec.containers }}\n- name: {{ .name | Quote }}\n  image: {{ .image | Quote }}\n"
                    "  ready: false\n  restartCount: 0\n  state:\n    terminated: {exitCode: 1, reason: Error, "
                    "startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}\n{{ end }}\n")}}}


def test_a_failed_migration_is_run_once_more_by_the_next_converge(kubeconfig, namespace, tmp_path):
    """The Job keeps its name (its inputs did not change): the next converge deletes the failed
    Job and runs it once more; nothing after its step is applied while it fails; after success
    a converge changes nothing."""
    stage = tmp_path / "stage.json"
    stage.write_text(json.dumps(failing_pods_stage(namespace)))
    assert kubectl(kubeconfig, "apply", "-f", str(stage)).returncode == 0
    record = str(tmp_path / "applied")

    def converge(check=False):
        task = {"name": "apply", "airgap.dify_platform.apply_wave": {
            "wave": 3, "component": "test", "wait_timeout": GATE_TIMEOUT, "wait_sleep": 1, "applied_record_dir": record, "steps": [
                {"objects": [ns_obj(namespace), migration_job(namespace)]},
                {"objects": [config_map(namespace, "rolled-out-after-the-migration")]}]}}
        run = run_tasks([task], check=check, extra_env={"K8S_AUTH_KUBECONFIG": kubeconfig})
        return run, run.result("apply")

    def job_uid():
        return read(kubeconfig, "job", "migrate", namespace)["metadata"]["uid"]

    try:
        run, result = converge()
        assert run.returncode != 0
        assert "Wave 3 (test) failed." in result["msg"] and "Job %s/migrate failed." % namespace in result["msg"]
        assert "`kubectl -n %s logs job/migrate --all-containers`" % namespace in result["msg"]
        assert read(kubeconfig, "configmap", "settings", namespace) is None, "rolled out after a failed migration"
        first = job_uid()

        run, result = converge()
        assert run.returncode != 0 and "this run already ran it once more" in result["msg"], result.get("msg")
        assert job_uid() != first, "the failed Job was not run once more"
        assert read(kubeconfig, "configmap", "settings", namespace) is None
        second = job_uid()
    finally:
        kubectl(kubeconfig, "delete", "-f", str(stage), "--ignore-not-found")

    run, result = converge(check=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["changed"] and result["rerun"] == ["Job %s/migrate" % namespace]
    assert job_uid() == second, "check mode deleted the failed Job"

    run, result = converge()
    assert run.returncode == 0, run.stdout[-3000:]
    assert result["rerun"] == ["Job %s/migrate" % namespace] and job_uid() != second
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": "rolled-out-after-the-migration"}

    run, result = converge()
    assert run.returncode == 0 and not result["changed"] and result["rerun"] == [], run.stdout[-3000:]
    assert set(actions(result)) == {"unchanged"}


def test_characters_beyond_the_bmp_are_applied_as_themselves(kubeconfig, namespace):
    """An emoji (a tile icon, an app name) in an object: JSON's surrogate pair escape for it is
    refused by the API server's YAML decoder for apply-patch+yaml ("found invalid Unicode
    character escape code"); the client sends the character itself."""
    value = "Chat \U0001F4AC, caf\u00e9, a literal \\ud83d\\ude00"
    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, value)])
    assert run.returncode == 0, run.stdout[-3000:]
    assert read(kubeconfig, "configmap", "settings", namespace)["data"] == {"mode": value}
    run, result = apply(kubeconfig, [ns_obj(namespace), config_map(namespace, value)])
    assert not result["changed"], result
