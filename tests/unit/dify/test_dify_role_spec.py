"""The dify_apps role: every default prefixed, documented, and equal to its argument spec."""

from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "dify_apps"


def load(path):
    return yaml.safe_load((ROLE / path).read_text())


def test_defaults_match_the_argument_spec():
    defaults = load("defaults/main.yml")
    options = load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert all(name.startswith("dify_apps_") for name in list(defaults) + list(options))
    for name, value in defaults.items():
        assert name in options, "%s has a default but no argument spec" % name
        assert options[name].get("default") == value, name
    for name, spec in options.items():
        assert spec.get("description"), name
        if spec.get("required"):
            assert name not in defaults and "default" not in spec, name
        else:
            assert name in defaults, "%s is optional but has no default in defaults/main.yml" % name
    assert options["dify_apps_password"]["no_log"] is True
    assert options["dify_apps_admin_api_key"]["no_log"] is True
    assert options["dify_apps_langfuse_secret_key"]["no_log"] is True
    assert defaults["dify_apps_validate_certs"] is True


def test_tasks_are_split_by_phase():
    names = sorted(p.name for p in (ROLE / "tasks").iterdir())
    assert names == ["export.yml", "import.yml", "langfuse_keys.yml", "main.yml", "plugins.yml", "tracing.yml",
                     "validate.yml"]
