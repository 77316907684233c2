"""The collection's playbooks never shadow the inventory with play vars.

Play `vars:` outrank the inventory's group_vars and host_vars (Ansible's variable precedence), so
a setting given a default under `vars:` silently replaces what an operator declared in the
inventory: `playbooks/litellm_keys.yml` replaced the declared teams, users and keys by `[]`, and
`playbooks/portal_users.yml` did the same with its tiers. A play may only hold private names
(`__...`) that read the public setting with its default.
"""

from pathlib import Path

import pytest
import yaml

from helpers.paths import REPO

PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))


def public_play_vars(path: Path) -> list[str]:
    """Names under the `vars:` of every play of a playbook that are not private (`__`)."""
    plays = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        f"{play.get('name', '?')}: {name}"
        for play in plays
        if isinstance(play, dict)
        for name in (play.get("vars") or {})
        if not name.startswith("__")
    ]


def test_there_are_playbooks():
    assert len(PLAYBOOKS) >= 5


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_play_vars_are_private(path):
    assert public_play_vars(path) == [], (
        f"{path.name}: play vars outrank the inventory; read the setting with its default "
        "into a private (__) name instead"
    )


def test_the_rule_catches_a_public_default(tmp_path):
    book = tmp_path / "book.yml"
    book.write_text("- name: P\n  hosts: all\n  vars:\n    litellm_keys_teams: []\n    __x: 1\n")
    assert public_play_vars(book) == ["P: litellm_keys_teams"]
