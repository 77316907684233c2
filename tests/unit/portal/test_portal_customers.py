"""The customer writes of playbooks/portal_users.yml (plugins/filter/portal_customers.py): each person's LiteLLM
customer gets their tier's budget and models, a person who left every tier is closed, and a customer already as
wanted gets no write (so a second run makes none).

The rows are shaped as LiteLLM v1.104.2's /customer/info and /customer/list return them (CustomerResponse:
litellm_budget_table and object_permission nested); the real server is in tests/integration/portal/test_portal_users.py.
"""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.airgap.dify_platform.plugins.filter.budget_tiers import budget_tiers
from ansible_collections.airgap.dify_platform.plugins.filter.portal_customers import PERMISSION_LISTS, portal_customers

ALIAS = "airgap.dify_platform portal_users portal-users"
TIERS = [{"group": "power", "models": ["gpt-4o", "mini"], "max_budget": 50.0, "budget_duration": "30d"},
         {"group": "users", "models": ["mini"], "max_budget": 5.0, "budget_duration": "30d"},
         {"group": "guests"}]


def row(user_id, models=None, max_budget=None, duration=None, alias=ALIAS):
    """A customer as LiteLLM returns it."""
    return {"user_id": user_id, "alias": alias, "blocked": False, "spend": 0.0,
            "litellm_budget_table": None if max_budget is None else {"max_budget": max_budget,
                                                                     "budget_duration": duration},
            "object_permission": None if models is None else {"object_permission_id": "p-" + user_id,
                                                              "models": models, "mcp_servers": []}}


def lists(models, **held):
    """The object permission sent: every list column, the models given, the others as held (else empty)."""
    return dict(dict((field, held.get(field, [])) for field in PERMISSION_LISTS), models=models)


def users():
    return budget_tiers({"power": ["bob"], "users": ["alice"], "guests": ["gus"]}, TIERS)["users"]


def test_a_person_without_a_customer_gets_one_with_the_tiers_budget_and_models():
    writes = portal_customers(users(), [], ALIAS)
    assert [(w["user_id"], [c["path"] for c in w["calls"]]) for w in writes] == [
        ("bob", ["/customer/new"]), ("alice", ["/customer/new"]), ("gus", ["/customer/new"])]
    assert all(w["calls"][0]["body"] == w["body"] for w in writes)
    assert writes[1]["body"] == {"user_id": "alice", "alias": ALIAS, "max_budget": 5.0, "budget_duration": "30d",
                                 "object_permission": lists(["mini"])}
    # A tier without models grants every model, and sets no budget it does not declare.
    assert writes[2]["body"] == {"user_id": "gus", "alias": ALIAS, "object_permission": lists(["*"])}
    assert not any(w["left"] for w in writes)


def test_customers_as_wanted_get_no_write():
    held = [row("bob", ["mini", "gpt-4o"], 50, "30d"), row("alice", ["mini"], 5.0, "30d"), row("gus", ["*"])]
    assert portal_customers(users(), held, ALIAS, listed=held) == []


def test_a_person_moved_to_another_tier_gets_its_models_and_budget():
    held = [row("bob", ["mini", "gpt-4o"], 50.0, "30d"), row("alice", ["mini", "gpt-4o"], 50.0, "30d"),
            row("gus", ["*"])]
    writes = portal_customers(users(), held, ALIAS)
    assert [(w["user_id"], w["changes"]) for w in writes] == [("alice", ["max_budget", "models"])]
    assert writes[0]["body"]["object_permission"] == lists(["mini"])
    # /customer/update takes no budget_duration (LiteLLM v1.104.2's UpdateCustomerRequest): left out, it is unchanged.
    assert writes[0]["calls"] == [{"path": "/customer/update", "body": {
        "user_id": "alice", "alias": ALIAS, "max_budget": 5.0, "object_permission": lists(["mini"])}}]


def test_budget_only_customers_of_before_get_their_models():
    """Customers made before models were enforced hold a budget and no permission."""
    held = [row("bob", None, 50.0, "30d"), row("alice", None, 5.0, "30d"), row("gus", None)]
    writes = portal_customers(users(), held, ALIAS)
    assert [(w["user_id"], w["changes"]) for w in writes] == [("bob", ["models"]), ("alice", ["models"]),
                                                              ("gus", ["models"])]


def test_an_alias_of_someone_else_is_taken_over_and_a_changed_duration_goes_through_the_budget():
    held = [row("bob", ["gpt-4o", "mini"], 50.0, "7d", alias="by hand"), row("alice", ["mini"], 5.0, "30d"),
            row("gus", ["*"])]
    held[0]["budget_id"] = "budget-of-bob"
    writes = portal_customers(users(), held, ALIAS)
    assert [(w["user_id"], w["changes"]) for w in writes] == [("bob", ["alias", "budget_duration"])]
    assert [(c["path"], c["body"].get("budget_duration")) for c in writes[0]["calls"]] == [
        ("/customer/update", None), ("/budget/update", "30d")]
    assert writes[0]["calls"][1]["body"] == {"budget_id": "budget-of-bob", "budget_duration": "30d"}


def test_a_customer_litellm_made_by_itself_is_made_anew_with_its_spend():
    """A call naming a person before their first run makes LiteLLM record a customer with no alias and no budget;
    /customer/update would give it a budget without the tier's duration, so it is deleted and made again."""
    held = [{"user_id": "alice", "blocked": False, "alias": None, "spend": 0.25, "budget_id": None,
             "litellm_budget_table": None, "object_permission_id": None, "object_permission": None}]
    writes = portal_customers(users()[1:2], held, ALIAS)
    assert writes[0]["changes"] == ["alias", "max_budget", "budget_duration", "models"]
    assert writes[0]["calls"] == [{"path": "/customer/delete", "body": {"user_ids": ["alice"]}},
                                  {"path": "/customer/new", "body": dict(writes[0]["body"], spend=0.25)}]


def test_a_person_who_left_every_tier_is_closed_once():
    listed = [row("bob", ["gpt-4o", "mini"], 50.0, "30d"), row("dave", ["mini"], 5.0, "30d"),
              row("dify-end-user", None, 1.0, alias=None), row("other", ["mini"], 5.0, alias="another scope")]
    writes = portal_customers(users()[:1], listed[:1], ALIAS, listed=listed)
    assert [(w["user_id"], w["left"], w["changes"]) for w in writes] == [("dave", True, ["max_budget", "models"])]
    assert writes[0]["body"] == {"user_id": "dave", "alias": ALIAS, "max_budget": -1.0,
                                 "object_permission": lists([])}
    closed = [*listed[:1], row("dave", [], -1.0, "30d"), *listed[2:]]
    assert portal_customers(users()[:1], listed[:1], ALIAS, listed=closed) == []
    # Without the list (prune off), nobody is closed.
    assert portal_customers(users()[:1], listed[:1], ALIAS) == []


def test_the_customers_other_permissions_are_sent_back_as_they_are():
    """LiteLLM's upsert of the permission takes every list column (a null one fails): the customer's MCP servers, for
    one, are kept, and a list column this filter does not know of is sent back too."""
    held = row("alice", ["gpt-4o"], 5.0, "30d")
    held["object_permission"].update(mcp_servers=["wiki"], new_list=["x"], mcp_tool_permissions=None)
    body = portal_customers(users()[1:2], [held], ALIAS)[0]["body"]
    assert body["object_permission"] == dict(lists(["mini"], mcp_servers=["wiki"]), new_list=["x"])


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError):
        portal_customers([{"models": ["mini"]}], [], ALIAS)
    with pytest.raises(AnsibleFilterError):
        portal_customers({"bob": {}}, [], ALIAS)
