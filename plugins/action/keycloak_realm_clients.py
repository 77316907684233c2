# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of airgap.dify_platform.keycloak_realm_clients: it runs on the controller.

One realm and its clients in one task: one sign-in, one process, the same
services and option specs as the keycloak_realm and keycloak_client modules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.args import (
    CONNECTION_REQUIRED_ONE_OF,
    CONNECTION_REQUIRED_TOGETHER,
    connection_argument_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client import KeycloakAdmin
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.options import (
    client_options,
    realm_options,
    without,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.realm_clients import (
    ClientFailed,
    client_plans,
    ensure_realm_clients,
    object_diffs,
    summary,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    realm_representation,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        realm=dict(type="str", required=True),
        realm_settings=dict(type="dict", options=without(realm_options(), "realm", "state")),
        clients=dict(type="list", elements="dict", default=[], options=without(client_options(), "realm")),
    )
    return spec


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation, args = self.validate_argument_spec(
            argument_spec=argument_spec(),
            required_together=CONNECTION_REQUIRED_TOGETHER,
            required_one_of=CONNECTION_REQUIRED_ONE_OF,
        )
        secrets = validation._no_log_values  # pylint: disable=protected-access
        check_mode = bool(self._task.check_mode)
        try:
            realm_desired = realm_representation(dict(args["realm_settings"] or {}, realm=args["realm"]))
            plans = client_plans(args["clients"])
            api = KeycloakAdmin.from_params(args)
            realm_result, client_results = ensure_realm_clients(api, realm_desired, plans, check_mode)
        except ClientFailed as exc:
            partial = self._outcome(exc.realm_result, exc.done, secrets) if exc.realm_result else {}
            raise AnsibleActionFail(remove_values(str(exc), secrets), result=partial) from None
        except PlatformError as exc:
            raise AnsibleActionFail(remove_values(str(exc), secrets)) from None
        result.update(self._outcome(realm_result, client_results, secrets))
        result["msg"] = remove_values(summary(realm_result, client_results, check_mode), secrets)
        return result

    def _outcome(self, realm_result, client_results, secrets):
        """changed, realm, clients (and diff in diff mode), no_log values masked but each client's secret."""
        outcome = {
            "changed": realm_result["changed"] or any(r["changed"] for r in client_results),
            "realm": _without_diff(realm_result),
            "clients": [_without_diff(r) for r in client_results],
        }
        if self._task.diff:
            outcome["diff"] = object_diffs(realm_result, client_results)
        outcome = remove_values(outcome, secrets)
        for shown, client in zip(outcome["clients"], client_results):
            shown["secret"] = client["secret"]  # the reason to register the result; the task is no_log
        return outcome


def _without_diff(result):
    return dict((key, value) for key, value in result.items() if key != "diff")
