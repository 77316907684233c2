"""The observability role's PrometheusRules, rendered by Ansible with the role's defaults.

Checked here, beyond `promtool check rules` and `promtool test rules` (run by `make test-rules`):
- every object validates against the real PrometheusRule CRD (prometheus-operator, from its Go module);
- every alert has a severity, a component, a summary and a description, and a promtool unit test
  where it fires and one where it stays silent;
- every metric name in the expressions is one a monitored component really exports
  (tests/helpers/metric_catalogue.py);
- a broken rule fails: a wrong threshold, a wrong duration or a wrong metric name make
  promtool's unit tests fail, and the wrong name also fails the catalogue check.

promtool is the one hack/tools/promtool.sh builds into $AIRGAP_CACHE/bin (`make promtool`).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from helpers.metric_catalogue import catalogue, metric_names, unknown_metrics
from helpers.paths import CACHE, REPO

RULES_DIR = REPO / "tests" / "rules"
RENDER = RULES_DIR / "render.yml"
PROMTOOL = CACHE / "bin" / "promtool"
CRD = CACHE / "crds" / "prometheus-operator-prometheus-operator_monitoring.coreos.com_prometheusrules.yaml"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
SEVERITIES = {"critical", "warning", "info"}


def render(out: Path, **variables) -> tuple[list, dict]:
    """Render the template into `out` with the role's defaults plus `variables`.

    Returns the objects and {file name: rule file}, one rule file per object (as the operator makes them).
    """
    extra = out / "extra-vars.json"
    out.mkdir(parents=True, exist_ok=True)
    extra.write_text(json.dumps(dict(variables, rules_dir=str(out))))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
    proc = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(RENDER), "-e", "@" + str(extra)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    objects = list(yaml.safe_load_all((out / "prometheusrules.yml").read_text()))
    return objects, {path.name: yaml.safe_load(path.read_text()) for path in sorted((out / "groups").glob("*.yml"))}


def alerts(rule_files: dict) -> list[dict]:
    return [rule for rule_file in rule_files.values() for group in rule_file["groups"] for rule in group["rules"] if "alert" in rule]


def as_text(rule_files: dict) -> dict:
    return {name: yaml.safe_dump(rule_file, sort_keys=False) for name, rule_file in rule_files.items()}


def promtool(*args, cwd=None) -> subprocess.CompletedProcess:
    if not PROMTOOL.exists():
        pytest.fail(f"{PROMTOOL} is missing: run `make promtool` (hack/tools/promtool.sh)")
    return subprocess.run([str(PROMTOOL), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def unit_tests_against(rule_file_texts: dict, tmp: Path) -> subprocess.CompletedProcess:
    """`promtool test rules` with every tests/rules/*.test.yml, against the given rule files."""
    groups = tmp / "output" / "rules" / "groups"
    groups.mkdir(parents=True, exist_ok=True)
    for name, text in rule_file_texts.items():
        (groups / name).write_text(text)
    (tmp / "rules").mkdir(exist_ok=True)
    tests = []
    for test in sorted(RULES_DIR.glob("*.test.yml")):
        shutil.copy(test, tmp / "rules" / test.name)
        tests.append(str(tmp / "rules" / test.name))
    return promtool("test", "rules", *tests)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render(tmp_path_factory.mktemp("rules"))


@pytest.fixture(scope="module")
def unit_tests():
    """{alert name: [expected alert lists, one per test case]} from the promtool unit tests."""
    cases = {}
    for path in sorted(RULES_DIR.glob("*.test.yml")):
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], []).append(case.get("exp_alerts") or [])
    return cases


def test_objects_validate_against_the_prometheusrule_crd(rendered):
    objects = rendered[0]
    assert CRD.exists(), f"{CRD} is missing: run `make cluster-crds`"
    crd = yaml.safe_load(CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    # The schema's patterns are Go regular expressions (e.g. a mid-pattern `(?i)` Python refuses), so the
    # schema itself is not checked; a pattern is compiled only where the object sets that field.
    validator = jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])
    for obj in objects:
        assert obj["apiVersion"] == "monitoring.coreos.com/v1" and obj["kind"] == "PrometheusRule"
        assert [error.message for error in validator.iter_errors(obj)] == []
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "dify-platform"


def test_one_rule_object_per_watched_namespace(rendered):
    objects = rendered[0]
    placed = sorted((obj["metadata"]["namespace"], obj["metadata"]["name"]) for obj in objects)
    assert placed == [
        ("dify-platform", "dify-platform-components"),
        ("dify-platform", "dify-platform-workloads"),
        ("dify-platform-sandbox", "dify-platform-workloads"),
    ]
    # On OpenShift a namespace's rules see only its own series: each selects its own namespace.
    for obj in objects:
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                assert f'namespace="{obj["metadata"]["namespace"]}"' in rule["expr"], rule["alert"]


def test_every_alert_is_labelled_and_annotated(rendered):
    rule_files = rendered[1]
    for rule in alerts(rule_files):
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert rule["labels"]["component"], rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]
        assert "runbook_url" not in rule["annotations"]


def test_every_alert_is_documented(rendered):
    rule_files = rendered[1]
    doc = (REPO / "docs" / "alerts.md").read_text()
    for name in {rule["alert"] for rule in alerts(rule_files)}:
        assert f"### {name}" in doc, f"{name} has no section in docs/alerts.md"


def test_every_alert_has_a_firing_and_a_silent_unit_test(rendered, unit_tests):
    rule_files = rendered[1]
    for name in {rule["alert"] for rule in alerts(rule_files)}:
        cases = unit_tests.get(name, [])
        assert any(cases), f"{name}: no promtool test case where it fires"
        assert any(not expected for expected in cases), f"{name}: no promtool test case where it stays silent"


def test_metric_names_are_exported_by_a_monitored_component(rendered):
    rule_files = rendered[1]
    exprs = [rule["expr"] for rule in alerts(rule_files)]
    known = catalogue()
    assert unknown_metrics(exprs, known) == []
    used = set().union(*(metric_names(expr) for expr in exprs))
    # The names come from the components the rules are about, kube-state-metrics included.
    exporters = {component for component, names in known.items() if used & names}
    assert exporters == {"cnpg", "redis", "litellm", "kube-state-metrics", "prometheus"}


def test_runbook_url_and_extra_labels(tmp_path):
    objects, rule_files = render(
        tmp_path,
        observability_alert_runbook_url="https://docs.example.test/alerts.html",
        observability_alert_labels={"team": "platform", "severity": "overridden?"},
        observability_alert_rule_labels={"prometheus": "platform"},
    )
    for obj in objects:
        assert obj["metadata"]["labels"]["prometheus"] == "platform"
    for rule in alerts(rule_files):
        assert rule["annotations"]["runbook_url"] == "https://docs.example.test/alerts.html#" + rule["alert"].lower()
        assert rule["labels"]["team"] == "platform"
        # The rule's own severity wins over the extra labels.
        assert rule["labels"]["severity"] in SEVERITIES


def test_without_the_sandbox_only_the_platform_namespace_is_watched(tmp_path):
    objects = render(tmp_path, dify_platform_sandbox_enabled=False)[0]
    assert sorted(obj["metadata"]["namespace"] for obj in objects) == ["dify-platform", "dify-platform"]


# --- promtool ------------------------------------------------------------------


def test_promtool_checks_and_unit_tests_pass(rendered, tmp_path):
    rule_files = rendered[1]
    for name, text in as_text(rule_files).items():
        (tmp_path / name).write_text(text)
        check = promtool("check", "rules", str(tmp_path / name))
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"SUCCESS: {len(alerts({name: rule_files[name]}))} rules found" in check.stdout + check.stderr
    tested = unit_tests_against(as_text(rule_files), tmp_path / "baseline")
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.parametrize(
    ("variables", "alert"),
    [
        # 81% of max_connections no longer fires.
        ({"observability_alert_postgres_connections_warning": 0.85}, "PostgresConnectionsHigh"),
        # 79% of a team budget now fires.
        ({"observability_alert_budget_ratio": 0.75}, "LLMTeamBudgetNearlySpent"),
        # A crash loop of 15m no longer fires at 15m.
        ({"observability_alert_crashloop_for": "20m"}, "DifyPlatformPodCrashLooping"),
        # 10% of failing requests no longer fire when only 503 counts.
        ({"observability_alert_llm_error_status_regex": "503"}, "LLMErrorRateHigh"),
    ],
    ids=["connections-threshold", "budget-threshold", "crashloop-duration", "error-statuses"],
)
def test_a_wrong_threshold_fails_the_unit_tests(tmp_path, variables, alert):
    rule_files = render(tmp_path / "render", **variables)[1]
    tested = unit_tests_against(as_text(rule_files), tmp_path)
    assert tested.returncode != 0
    assert f"alertname: {alert}" in tested.stdout + tested.stderr


@pytest.mark.parametrize(
    ("right", "wrong", "alert"),
    [
        ("cnpg_backends_total", "cnpg_backends_count", "PostgresConnectionsHigh"),
        ("litellm_proxy_failed_requests_metric_total", "litellm_proxy_failed_requests_total", "LLMErrorRateHigh"),
        ("kube_pod_container_status_restarts_total", "kube_pod_container_restarts_total", "DifyPlatformPodRestarting"),
    ],
)
def test_a_wrong_metric_name_fails_the_unit_tests_and_the_catalogue(rendered, tmp_path, right, wrong, alert):
    rule_files = rendered[1]
    texts = as_text(rule_files)
    assert any(right in text for text in texts.values())
    broken = {name: text.replace(right, wrong) for name, text in texts.items()}
    tested = unit_tests_against(broken, tmp_path)
    assert tested.returncode != 0
    assert f"alertname: {alert}" in tested.stdout + tested.stderr
    exprs = [rule["expr"] for rule in alerts({name: yaml.safe_load(text) for name, text in broken.items()})]
    assert {unknown[1] for unknown in unknown_metrics(exprs, catalogue())} == {wrong}
