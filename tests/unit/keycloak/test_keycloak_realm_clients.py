"""keycloak_realm_clients: its documentation matches its spec, and the pure parts of the orchestration."""

import pytest
import yaml

from ansible_collections.airgap.dify_platform.plugins.action.keycloak_realm_clients import argument_spec
from ansible_collections.airgap.dify_platform.plugins.doc_fragments.keycloak import ModuleDocFragment
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.client_service import ClientService
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.options import (
    client_options,
    realm_options,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.realm_clients import (
    ClientFailed,
    client_plans,
    object_diffs,
    summary,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.keycloak.representation import (
    client_representation,
)
from ansible_collections.airgap.dify_platform.plugins.modules import keycloak_realm_clients as doc_stub

SPEC_KEYS = ("type", "required", "default", "choices", "aliases", "elements")


def documented_options():
    options = dict(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    options.update(yaml.safe_load(doc_stub.DOCUMENTATION)["options"])
    return options


def shape(spec):
    """What the docs must say about each option: the spec without no_log and fallbacks, suboptions nested."""
    result = {}
    for name, option in spec.items():
        entry = dict((key, option[key]) for key in SPEC_KEYS if option.get(key) not in (None, False))
        if option.get("type", "str") == "str":
            entry["type"] = "str"
        sub = option.get("options", option.get("suboptions"))
        if sub:
            entry["suboptions"] = shape(sub)
        result[name] = entry
    return result


def test_the_docs_describe_exactly_the_spec():
    documented = documented_options()
    assert shape(documented) == shape(argument_spec())

    def described(options, path=""):
        for name, option in options.items():
            assert option.get("description"), path + name
            described(option.get("suboptions") or {}, path + name + ".")
    described(documented)


def test_nested_options_are_those_of_the_modules():
    spec = argument_spec()
    realm = realm_options()
    assert spec["realm_settings"]["options"] == dict((k, v) for k, v in realm.items() if k not in ("realm", "state"))
    clients = client_options()
    del clients["realm"]
    assert spec["clients"]["options"] == clients
    assert spec["clients"]["options"]["secret"]["no_log"] is True
    assert spec["auth_password"]["no_log"] is True and spec["auth_client_secret"]["no_log"] is True
    assert spec["validate_certs"]["default"] is True


def params(client_id, **options):
    base = dict((name, None) for name in client_options())
    base.update(client_id=client_id, state="present", purge_protocol_mappers=False)
    base.update(options)
    return base


def test_client_plans_name_the_client_that_is_wrong():
    plans = client_plans([params("a", redirect_uris=["https://a/cb"]), params("b", state="absent")])
    assert [(p.client_id, p.state) for p in plans] == [("a", "present"), ("b", "absent")]
    with pytest.raises(ClientFailed, match=r"^client b: a public client has no secret"):
        client_plans([params("a"), params("b", public_client=True, secret="x")])
    with pytest.raises(ClientFailed, match=r"^client a: a client_id may appear only once"):
        client_plans([params("a"), params("b"), params("a")])
    assert client_plans(None) == []


def test_a_client_in_a_realm_that_would_be_created_is_planned_without_a_request():
    service = ClientService(None, "new")  # no API: any request would fail
    desired = client_representation(params("a", secret="s", redirect_uris=["https://a/cb"]))
    result = service.planned_in_new_realm(desired)
    assert (result["changed"], result["changes"], result["id"], result["secret"]) == (True, ["client"], None, "s")
    assert result["diff"]["before"] == {} and result["diff"]["after"]["redirectUris"] == ["https://a/cb"]
    assert result["diff"]["after"]["secret"] != "s"
    gone = service.planned_in_new_realm(client_representation(params("b")), state="absent")
    assert (gone["changed"], gone["id"], gone["secret"]) == (False, None, None)


def realm_result(changed=False, msg="Realm r is up to date."):
    return {"realm": "r", "changed": changed, "msg": msg, "diff": {"before": {"a": 1}, "after": {"a": 2}}}


def client_result(client_id, changed=False):
    return {"client_id": client_id, "changed": changed, "diff": {"before": {}, "after": {"clientId": client_id}}}


def test_object_diffs_realm_first_each_with_a_header():
    diffs = object_diffs(realm_result(), [client_result("a"), {"client_id": "b", "changed": False}])
    assert [d["before_header"] for d in diffs] == ["realm r", "client a", "client b"]
    assert diffs[0]["after"] == {"a": 2} and diffs[1]["after"] == {"clientId": "a"}
    assert diffs[2]["before"] == {} and diffs[2]["after"] == {}


def test_summary():
    assert summary(realm_result(), []) == "Realm r is up to date."
    assert summary(realm_result(), [client_result("a")]) == "Realm r is up to date. 1 client(s) up to date."
    assert summary(realm_result(), [client_result("a"), client_result("b", True)], check_mode=True) == (
        "Realm r is up to date. 1 of 2 client(s) would change: b.")
