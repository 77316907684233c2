"""Every environment name the dify role renders is one Dify's programs read (issue 16, item 4).

The names are checked against tests/helpers/dify_settings.py: Dify's settings
classes, its images' entrypoints, the plugin daemon's and the sandbox's config,
each with its upstream source, plus the names the runtime reads and those that
only feed the kubelet's $(VAR) expansion. Two renders cover every branch of the
templates that changes the names: PVC storage, sandbox on, OTel off, uv extra
arguments set; then S3, sandbox off, OTel on, no extra arguments.
"""

import re

import pytest

from helpers import dify_settings
from test_dify_airgap_render import S3, render

COMBINATIONS = {
    "pvc-sandbox-no-otel": {},
    "s3-no-sandbox-otel-no-pip-args": dict(S3, dify_platform_sandbox_enabled=False, dify_otel_enabled=True, dify_pip_extra_args=""),
}
# Workload -> the component whose names its container may use.
COMPONENT = {
    "dify-api": "api",
    "dify-worker": "api",
    "dify-beat": "api",
    "dify-migrate": "api",
    "dify-web": "web",
    "dify-plugin-daemon": "plugin_daemon",
    "dify-sandbox": "sandbox",
    "dify-ssrf-proxy": None,
}


def containers(objects):
    """[(workload, component, container)] of every Deployment and Job."""
    found = []
    for (kind, name), obj in objects.items():
        if kind not in ("Deployment", "Job"):
            continue
        workload = "dify-migrate" if kind == "Job" else name
        assert workload in COMPONENT, "%s %s: a workload this test does not know; map it in COMPONENT" % (kind, name)
        spec = obj["spec"]["template"]["spec"]
        found += [(workload, COMPONENT[workload], c) for c in spec.get("initContainers", []) + spec["containers"]]
    return found


def env_names(container):
    return [item["name"] for item in container.get("env", [])]


def unknown_in(objects):
    report = []
    for workload, component, container in containers(objects):
        names = env_names(container)
        if component is None:
            assert not names, "%s: environment %s on a container with no catalogue" % (workload, names)
            continue
        unknown = dify_settings.unknown_names(component, names)
        if unknown:
            report.append(dify_settings.describe(workload, unknown))
    return "\n".join(report)


@pytest.fixture(scope="module", params=sorted(COMBINATIONS))
def rendered(request):
    return request.param, render(**COMBINATIONS[request.param])


def test_every_rendered_name_is_one_dify_reads(rendered):
    combination, objects = rendered
    report = unknown_in(objects)
    assert not report, "%s:\n%s" % (combination, report)


def test_the_renders_cover_every_conditional_name(rendered):
    """The combinations really switch the branches (else a name could escape the check)."""
    combination, objects = rendered
    api = next(c for w, _unused, c in containers(objects) if w == "dify-api")
    names = set(env_names(api))
    if combination == "pvc-sandbox-no-otel":
        assert {"OPENDAL_SCHEME", "OPENDAL_FS_ROOT", "CODE_EXECUTION_ENDPOINT"} <= names and "ENABLE_OTEL" not in names
        assert ("Deployment", "dify-sandbox") in objects
    else:
        assert {"S3_ENDPOINT", "S3_ADDRESS_STYLE", "ENABLE_OTEL", "OTLP_TRACE_ENDPOINT"} <= names
        assert "CODE_EXECUTION_ENDPOINT" not in names and ("Deployment", "dify-sandbox") not in objects


def test_a_kubelet_only_name_is_used_by_a_later_value(rendered):
    """A name kept only for $(VAR) expansion must be expanded somewhere after it, or it is dead."""
    _unused, objects = rendered
    for workload, component, container in containers(objects):
        env = container.get("env", [])
        for index, item in enumerate(env):
            if item["name"] in dify_settings.KUBELET_ONLY.get(component or "", {}):
                later = " ".join(str(other.get("value", "")) for other in env[index + 1 :])
                assert "$(%s)" % item["name"] in later, "%s: %s is never expanded" % (workload, item["name"])


@pytest.fixture(scope="module")
def misspelt():
    # One plausible misspelling (TEMPLATE for TEMPLATES) and one name Dify has never had.
    return render(dify_extra_env={"HOSTED_FETCH_APP_TEMPLATE_MODE": "builtin", "DIFY_NO_SUCH_SETTING": "1"})


def test_a_misspelt_name_is_caught_and_the_intended_one_suggested(misspelt):
    report = unknown_in(misspelt)
    for workload in ("dify-api", "dify-worker", "dify-beat", "dify-migrate"):
        assert re.search(
            r"^%s: HOSTED_FETCH_APP_TEMPLATE_MODE is no setting .*did you mean "
            r"HOSTED_FETCH_APP_TEMPLATES_MODE\?$" % workload,
            report,
            re.M,
        ), report
        assert re.search(r"^%s: DIFY_NO_SUCH_SETTING is no setting .*close to none\)$" % workload, report, re.M), report
    with pytest.raises(AssertionError, match="did you mean HOSTED_FETCH_APP_TEMPLATES_MODE"):
        test_every_rendered_name_is_one_dify_reads(("misspelt", misspelt))


def test_the_api_is_not_given_the_web_s_app_api_url(rendered):
    """APP_API_URL is read by the web image's entrypoint only; no settings class of the api declares it."""
    _unused, objects = rendered
    assert "APP_API_URL" not in dify_settings.SETTINGS["api"]
    assert "APP_API_URL" in dify_settings.SETTINGS["web"]
    for workload, component, container in containers(objects):
        if component == "api":
            assert "APP_API_URL" not in env_names(container), workload


def test_every_entry_cites_a_source():
    for component, table in dify_settings.SETTINGS.items():
        for name, key in table.items():
            repo, path, revision, what = dify_settings.SOURCES[key]
            assert repo.startswith("langgenius/") and path and revision and what, (component, name)
            assert dify_settings.citation(component, name).startswith(repo)
    for tables in (dify_settings.RUNTIME, dify_settings.KUBELET_ONLY):
        for component, table in tables.items():
            assert component in dify_settings.COMPONENTS
            for name, reason in table.items():
                assert len(reason) > 40, (component, name)
                assert name not in dify_settings.SETTINGS[component], (component, name, "listed twice")
