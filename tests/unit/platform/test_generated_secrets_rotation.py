"""Every generated Secret says what its rotation breaks, and LiteLLM's salt key rotates with nothing (issue 14, defect 13).

The operator guide's rotation table is read as data: its first column must name every Secret the foundation
generates (both lists of roles/foundation/vars/main.yml) and the two the langfuse role generates.
"""

import re

import yaml

from helpers.paths import REPO

FOUNDATION_VARS = yaml.safe_load((REPO / "roles" / "foundation" / "vars" / "main.yml").read_text())
LANGFUSE_DEFAULTS = yaml.safe_load((REPO / "roles" / "langfuse" / "defaults" / "main.yml").read_text())
GUIDE = (REPO / "docs" / "operator-guide.md").read_text()


def generated():
    return dict((secret["name"], secret) for secret in FOUNDATION_VARS["__foundation_platform_generated_secrets"]
                + FOUNDATION_VARS["__foundation_langfuse_generated_secrets"])


def rotation_table():
    """{Secret name: row text} of the table under 'Rotating one, and what it breaks'."""
    section = GUIDE.split("### Rotating one, and what it breaks", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("Secret", "---") or set(cells[0]) <= set("-"):
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            rows["dify-platform" + name if name.startswith("-") else name] = line
    return rows


def test_every_generated_secret_says_what_its_rotation_breaks():
    table = rotation_table()
    langfuse = {LANGFUSE_DEFAULTS["langfuse_encryption_secret"], LANGFUSE_DEFAULTS["langfuse_api_secret"]}
    missing = (set(generated()) | langfuse) - set(table)
    assert not missing, "docs/operator-guide.md does not say what rotating %s breaks" % sorted(missing)
    for row in table.values():
        assert len([cell for cell in row.split("|") if cell.strip()]) == 5, row


def test_the_salt_key_has_a_secret_of_its_own_that_is_never_rotated():
    secrets = generated()
    assert set(secrets["dify-platform-litellm"]["keys"]) == {"master-key"}
    salt = secrets["dify-platform-litellm-salt"]
    assert set(salt["keys"]) == {"salt-key"}
    # Installs from before the split keep the salt key their data is encrypted with.
    assert salt["migrate_from"] == "dify-platform-litellm"
    assert "**never rotate it.**" in rotation_table()["dify-platform-litellm-salt"]


def test_only_keys_of_the_same_name_migrate():
    for secret in generated().values():
        if "migrate_from" in secret:
            assert secret["migrate_from"] in generated() and secret["migrate_from"] != secret["name"]
