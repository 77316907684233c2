"""No digest of a secret reaches the memo of rendered templates.

The memo keeps a digest of the values each template reads, and a digest of a
weak password could be guessed. Every template that renders a Secret is left
out of the memo (so are those that call a lookup), so this checks that no
other template of the collection reads an option a role's spec marks
``no_log``, directly or through the templates in the roles' defaults and vars.
"""

from pathlib import Path

import pytest
import yaml
from helpers.trusted import trust_as_template, trusted

from ansible_collections.airgap.dify_platform.plugins.plugin_utils.template_inputs import (
    NotRecallable,
    parser,
    template_names,
    variable_closure,
)

ROLES = Path(__file__).resolve().parents[3] / "roles"
JINJA = parser()


def role_variables():
    variables = {}
    for path in sorted(ROLES.glob("*/defaults/main.yml")) + sorted(ROLES.glob("*/vars/main.yml")):
        variables.update(trusted(yaml.safe_load(path.read_text()) or {}))
    return variables


def secret_options(options):
    """The options marked no_log, and those holding a suboption that is."""
    return set(name for name, option in (options or {}).items()
               if option.get("no_log") or secret_options(option.get("options")))


def all_secret_options():
    names = set()
    for path in ROLES.glob("*/meta/argument_specs.yml"):
        for entry_point in yaml.safe_load(path.read_text())["argument_specs"].values():
            names |= secret_options(entry_point.get("options"))
    return names


def sources_and_names(template):
    """The text of the template and of everything it includes, and the variables they read."""
    texts, names, pending = [], set(), [template.name]
    while pending:
        name = pending.pop()
        # Beside the template, then among the shared templates (apply_wave's SHARED_TEMPLATES).
        path = template.parent / name
        text = (path if path.is_file() else ROLES / "dify_platform" / "templates" / name).read_text()
        if text in texts:
            continue
        texts.append(text)
        read, included = template_names(JINJA, text, name)
        names |= read
        pending.extend(included)
    return "".join(texts), names


def kept_by_the_memo(template):
    """Whether the memo may keep a digest of the template's inputs: it calls nothing
    unrepeatable and renders no Secret."""
    try:
        text = sources_and_names(template)[0]
    except NotRecallable:
        return False
    return "kind: Secret" not in text


TEMPLATES = sorted(ROLES.glob("*/templates/*.j2"))
KEPT = [t for t in TEMPLATES if kept_by_the_memo(t)]
VARIABLES = role_variables()
SECRETS = all_secret_options()


def test_the_roles_mark_their_secrets():
    assert {"keycloak_admin_password", "foundation_registry_password", "dify_platform_registry_password",
            "mirror_push_password"} <= SECRETS


def test_only_the_templates_of_secrets_and_lookups_are_left_out():
    left_out = sorted(str(t.relative_to(ROLES)) for t in TEMPLATES if t not in KEPT)
    assert left_out == [
        "backup/templates/manifest.json.j2",  # now()
        "backup/templates/secrets.yml.j2",
        "foundation/templates/generated-secrets.yml.j2",  # a password lookup, a Secret
        "foundation/templates/pull-secret.yml.j2",
        "keycloak/templates/client-secrets.yml.j2",
        "langfuse/templates/keys.yml.j2",
        "mirror/templates/cluster-config.yml.j2",  # its pull Secret
        "mirror/templates/imageset-config.yaml.j2",  # a file lookup
        "observability/templates/dashboards.yml.j2",  # a file lookup
        "observability/templates/litellm-metrics-secret.yml.j2",
        "postgres/templates/backup.yml.j2",  # the CA Secret of the object store
    ]


@pytest.mark.parametrize("template", KEPT, ids=[str(t.relative_to(ROLES)) for t in KEPT])
def test_a_template_the_memo_may_keep_reads_no_secret(template):
    read = set(variable_closure(JINJA, sources_and_names(template)[1], VARIABLES)) & SECRETS
    assert not read, "%s reads %s but renders no Secret, so a digest of it would be kept" % (template.name, sorted(read))


def test_the_check_sees_a_secret_read_through_a_default():
    variables = {"pull_auth": trust_as_template("{{ foundation_registry_password | b64encode }}")}
    assert "foundation_registry_password" in variable_closure(JINJA, {"pull_auth"}, variables)
