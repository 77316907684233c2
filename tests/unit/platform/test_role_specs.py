"""The wave roles' argument specs, which the dify_platform role merges into one validation."""

import yaml

from helpers.paths import REPO

ROLES = sorted(path.parents[1].name for path in (REPO / "roles").glob("*/meta/argument_specs.yml"))


def options(role):
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def test_every_option_is_prefixed_by_its_role_so_merged_specs_never_overlap():
    seen = {}
    for role in ROLES:
        for name in options(role):
            assert name.startswith(role + "_"), "%s: %s is not prefixed %s_" % (role, name, role)
            assert name not in seen, "%s is in the specs of %s and %s" % (name, seen[name], role)
            seen[name] = role
    assert len(seen) > 100 and "dify_platform" in ROLES and "foundation" in ROLES


def test_every_wave_component_has_a_spec_to_validate():
    defaults = yaml.safe_load((REPO / "roles" / "dify_platform" / "defaults" / "main.yml").read_text())
    components = defaults["dify_platform_components"]
    assert components and set(components) <= set(ROLES)
