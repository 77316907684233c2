"""The OpenTelemetry collector recipe (a reduced OCB build) against the observability role."""

import re
from pathlib import Path

import yaml
from airgap_images import recipe as recipes
from airgap_images.recipe import Recipe

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
OTEL = recipes.IMAGES_DIR / "otel-collector"
# A component type -> the Go package OCB builds it from (the last path element of its gomod).
MODULE_OF = {
    ("receivers", "otlp"): "otlpreceiver",
    ("processors", "memory_limiter"): "memorylimiterprocessor",
    ("processors", "batch"): "batchprocessor",
    ("exporters", "prometheus"): "prometheusexporter",
    ("exporters", "otlphttp"): "otlphttpexporter",
    ("exporters", "debug"): "debugexporter",
}
KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")


def _builder():
    text = (OTEL / "builder.yml").read_text()
    return yaml.safe_load(text.replace("{version_bare}", "0.0.0"))


def _built():
    """{(kind, package)} of every component the builder manifest compiles in."""
    return {(kind, entry["gomod"].split()[0].rsplit("/", 1)[1]) for kind in KINDS for entry in _builder().get(kind) or []}


def _template_components():
    """{(kind, component id)} that roles/observability/templates/collector.yml.j2 can put in a pipeline."""
    template = (ROLES / "observability" / "templates" / "collector.yml.j2").read_text()
    found = set()
    for kind in ("receivers", "processors", "exporters"):
        for names in re.findall(r"'%s': \[([^\]]*)\]" % kind, template):
            found |= {(kind, name) for name in re.findall(r"'([^']+)'", names)}
    for names in re.findall(r"set trace_exporters = \[([^\]]*)\]", template):
        found |= {("exporters", name) for name in re.findall(r"'([^']+)'", names)}
    return found


def _smoke_components():
    found = set()
    for name in ("collector.yaml", "collector-traces.yaml"):
        config = yaml.safe_load((OTEL / "smoke" / name).read_text())
        for kind in KINDS:
            found |= {(kind, component) for component in config.get(kind) or {}}
        for pipeline in config["service"]["pipelines"].values():
            for kind in ("receivers", "processors", "exporters"):
                assert set(pipeline[kind]) <= set(config[kind]), "a pipeline names an undefined component"
        assert not config["service"].get("extensions")
    return found


def test_the_smoke_configs_are_the_roles_both_ways():
    assert _smoke_components() == _template_components()


def test_the_collector_holds_exactly_the_components_the_role_uses():
    used = {(kind, MODULE_OF[(kind, component.split("/")[0])]) for kind, component in _template_components()}
    assert _built() == used


def test_every_component_is_at_the_manifests_collector_version():
    version = recipes.load_manifest()["otel_collector"]["version"]
    text = (OTEL / "builder.yml").read_text()
    gomods = re.findall(r"gomod: (\S+) (\S+)", text)
    assert gomods
    for module, module_version in gomods:
        if "/confmap/provider/" in module:
            continue  # the stable confmap modules are versioned 1.x alongside the 0.x collector
        assert module_version == "v{version_bare}", module
    assert Recipe("otel-collector").expand("{version_bare}") == version
    assert "go.opentelemetry.io/collector/cmd/builder@v$version" in (OTEL / "build-otelcol.sh").read_text()


def test_the_image_runs_what_the_operator_runs():
    recipe = Recipe("otel-collector")
    assert recipe.data["config"]["entrypoint"] == ["/otelcol-contrib"]
    assert "reduced" in recipe.data["differences"]["version"].lower()
    ports = yaml.safe_load((ROLES / "observability" / "vars" / "main.yml").read_text())["__observability_collector_ports"]
    assert set(ports.values()) <= set(recipe.data["config"]["ports"])
