"""Every option whose name looks like a password says whether it is one (issue 17, item 10).

ansible-core's AnsibleModule._log_invocation (module_utils/basic.py) warns
"Module did not set no_log for <option>" on every run for an option that
matches its PASSWORD_MATCH pattern and leaves ``no_log`` unset, and hides its
value from the log. ``reset_password_allowed`` is such a name but holds a boolean.
"""

import pytest
from ansible.module_utils.basic import PASSWORD_MATCH

from ansible_collections.airgap.dify_platform.plugins.action import keycloak_realm_clients as realm_clients_action
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.options import (
    client_options,
    mapper_options,
    realm_options,
)
from ansible_collections.airgap.dify_platform.plugins.modules import (
    keycloak_client,
    keycloak_realm,
    litellm_key,
    litellm_key_sync,
)

SPECS = {
    "keycloak_realm": keycloak_realm.argument_spec,
    "keycloak_client": keycloak_client.argument_spec,
    "keycloak_realm_clients": realm_clients_action.argument_spec,
    "realm_options": realm_options,
    "client_options": client_options,
    "mapper_options": mapper_options,
    "litellm_key": litellm_key.argument_spec,
    "litellm_key_sync": litellm_key_sync.argument_spec,
}


def password_like_without_no_log(spec, prefix=""):
    """Options (dotted paths) matching ansible-core's PASSWORD_MATCH with no ``no_log`` set."""
    found = []
    for name, option in spec.items():
        if PASSWORD_MATCH.search(name) and option.get("no_log") is None:
            found.append(prefix + name)
        if option.get("options"):
            found.extend(password_like_without_no_log(option["options"], prefix + name + "."))
    return found


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_password_like_option_sets_no_log(name):
    assert password_like_without_no_log(SPECS[name]()) == []


def test_reset_password_allowed_is_logged_as_a_boolean():
    assert realm_options()["reset_password_allowed"] == dict(type="bool", no_log=False)
