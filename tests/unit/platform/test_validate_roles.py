"""validate_roles: reading and merging the roles' argument specs (the rest runs in test_site_bad_input)."""

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.airgap.dify_platform.plugins.action.validate_roles import (
    merged_options,
    role_options,
    rule_variable,
)


def write_spec(roles_dir, role, options):
    meta = roles_dir / role / "meta"
    meta.mkdir(parents=True)
    lines = ["argument_specs:", "  main:", "    options:"]
    lines += ["      %s: {type: str}" % name for name in options]
    (meta / "argument_specs.yml").write_text("\n".join(lines) + "\n")


def test_the_collection_s_roles_merge_without_overlap():
    options = merged_options(["dify_platform", "foundation", "litellm"])
    assert "dify_platform_registry" in options and "foundation_namespace" in options and "litellm_models" in options


def test_an_option_declared_by_two_roles_is_refused(tmp_path):
    write_spec(tmp_path, "one", ["shared", "one_only"])
    write_spec(tmp_path, "two", ["shared"])
    assert set(merged_options(["one"], str(tmp_path))) == {"shared", "one_only"}
    with pytest.raises(AnsibleActionFail, match="option shared is declared by both one and two"):
        merged_options(["one", "two"], str(tmp_path))


def test_an_unknown_role_or_a_spec_without_main_is_named(tmp_path):
    with pytest.raises(AnsibleActionFail, match="role missing: cannot read its argument spec"):
        role_options("missing", str(tmp_path))
    (tmp_path / "odd" / "meta").mkdir(parents=True)
    (tmp_path / "odd" / "meta" / "argument_specs.yml").write_text("argument_specs: {other: {options: {}}}\n")
    with pytest.raises(AnsibleActionFail, match=r"role odd: .* has no options for the entry point main"):
        role_options("odd", str(tmp_path))


def test_the_rules_of_a_role_live_in_its_input_errors_variable():
    assert rule_variable("litellm") == "__litellm_input_errors"
