"""The observability role's alert-rule variables: defaults and argument spec agree, and the template uses them.

The variables live in delimited blocks (`# --- alert rules ---`) of defaults/main.yml and
meta/argument_specs.yml; this checks the blocks against each other and against the template.
"""

import re
from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "observability"
PREFIX = "observability_alert_"


def block(path: Path, indent: str) -> dict:
    """The YAML between the alert-rule markers of a file, parsed."""
    text = path.read_text()
    start = text.index(indent + "# --- alert rules ---\n")
    end = text.index(indent + "# --- end of alert rules ---\n")
    lines = [line[len(indent) :] if line.startswith(indent) else line for line in text[start:end].splitlines()]
    return yaml.safe_load("\n".join(lines)) or {}


def test_the_blocks_hold_the_same_variables_with_the_same_defaults():
    defaults = block(ROLE / "defaults" / "main.yml", "")
    options = block(ROLE / "meta" / "argument_specs.yml", "      ")
    assert defaults, "no alert-rule block in defaults/main.yml"
    assert sorted(defaults) == sorted(options)
    for name, value in defaults.items():
        assert name.startswith(PREFIX), name
        spec = options[name]
        assert spec.get("description"), name
        assert not spec.get("required"), name
        if isinstance(value, str) and "{{" in value:
            # A templated default is described, not repeated.
            assert "default" not in spec, name
        else:
            assert spec.get("default") == value, name
            expected = {bool: "bool", int: "int", float: "float", str: "str", dict: "dict", list: "list"}[type(value)]
            assert spec["type"] == expected, name


def test_the_whole_files_still_parse_and_the_specs_are_the_roles():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    ours = block(ROLE / "defaults" / "main.yml", "")
    for name, value in ours.items():
        assert defaults[name] == value
        assert name in options


def test_every_variable_is_used_by_the_template_and_no_other():
    template = (ROLE / "templates" / "prometheusrules.yml.j2").read_text()
    used = set(re.findall(r"\b(" + PREFIX + r"[a-z0-9_]+)", template))
    declared = set(block(ROLE / "defaults" / "main.yml", ""))
    # The on/off switch is read by the role's tasks, not by the template.
    assert used == declared - {"observability_alert_rules_enabled"}
