# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: portal_customers
short_description: The LiteLLM customer writes that give each person their tier's budget and models
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Open WebUI's calls are charged to the person as a LiteLLM customer (end user). Each person's customer should carry
    their tier's C(max_budget) and C(budget_duration) (LiteLLM holds a customer to its own budget) and, in
    C(object_permission.models), their tier's models, which the litellm role's model-access hook enforces
    (roles/litellm/templates/model_access.py). A tier without models grants every model (C(*)).
  - A customer of O(alias) whose person left every tier (in O(listed), not in the input) is closed, with
    O(closed_budget) and no models.
  - Returns the writes to make, one per customer that differs, each C(user_id), C(body) (the customer as wanted),
    C(changes) (the fields that differ), C(left) (a person who left every tier) and C(calls), the LiteLLM calls to
    make in order (C(path), C(body)). Customers already as wanted get no write, so a second run makes none.
  - A budget's duration is set by C(/customer/new) or C(/budget/update), never by C(/customer/update), which
    LiteLLM v1.104.2 gives no C(budget_duration); a customer without a budget that needs one is made anew, its
    spend carried over.
options:
  _input:
    description: The C(users) of M(airgap.dify_platform.budget_tiers) (C(user_id), and optionally C(models), C(max_budget)
      and C(budget_duration)).
    type: list
    elements: dict
    required: true
  customers:
    description: The customers LiteLLM holds for those people, as C(/customer/info) returns them; a person without one
      gets C(new).
    type: list
    elements: dict
    required: true
  alias:
    description: The alias of every customer this run manages.
    type: str
    required: true
  listed:
    description: Every customer, as C(/customer/list) returns them, to find the people who left every tier; omit to
      close none.
    type: list
    elements: dict
  closed_budget:
    description: The budget of a person who left every tier (a negative one refuses every call).
    type: float
    default: -1.0
"""

EXAMPLES = r"""
- name: The customer writes
  ansible.builtin.set_fact:
    customer_writes: >-
      {{ plan.users | airgap.dify_platform.portal_customers(found_customers, alias='portal users', listed=all_customers) }}
"""

RETURN = r"""
_value:
  description: The writes, each C(user_id), C(body), C(changes), C(left) and C(calls) (C(path) and C(body)).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

ALL_MODELS = ["*"]
# The list columns of LiteLLM's object permission (model LiteLLM_ObjectPermissionTable, litellm/proxy/schema.prisma,
# BerriAI/litellm v1.104.2). /customer/update sends the permission as model_dump() (every field, None where unset) to an
# upsert whose create branch refuses a null list ("mcp_servers: A value is required but not set",
# object_permission_utils.py prepare_object_permission_upsert), so every list goes with the body: the customer's own
# value when it has one, else an empty list (LiteLLM's default).
PERMISSION_LISTS = ("mcp_servers", "mcp_access_groups", "vector_stores", "agents", "agent_access_groups", "models",
                    "blocked_tools", "mcp_toolsets", "search_tools", "skills")


def _budget(row):
    table = (row or {}).get("litellm_budget_table") or {}
    return table.get("max_budget"), table.get("budget_duration")


def _models(row):
    permission = (row or {}).get("object_permission") or {}
    return sorted(permission.get("models") or [])


def permission(models, row=None):
    """The object permission to send: ``models``, and the customer's other lists as they are."""
    held = (row or {}).get("object_permission") or {}
    lists = dict((field, value) for field, value in held.items() if isinstance(value, list))
    lists.update((field, held.get(field) or []) for field in PERMISSION_LISTS)
    lists["models"] = sorted(models)
    return lists


def wanted(user, alias, row=None):
    """The customer body a person's tier gives them (``row``: their customer as LiteLLM holds it, if any)."""
    if not isinstance(user, dict) or not user.get("user_id"):
        raise AnsibleFilterError("portal_customers: every user needs a user_id")
    body = {"user_id": user["user_id"], "alias": alias,
            "object_permission": permission(user.get("models") or ALL_MODELS, row)}
    for field in ("max_budget", "budget_duration"):
        if user.get(field) is not None:
            body[field] = user[field]
    return body


def differences(body, row):
    """The fields of ``body`` that ``row`` (a customer as LiteLLM returns it) does not hold."""
    max_budget, budget_duration = _budget(row)
    held = {"alias": row.get("alias"), "max_budget": max_budget, "budget_duration": budget_duration}
    changes = [field for field in ("alias", "max_budget", "budget_duration") if field in body and body[field] != held[field]]
    if sorted(body["object_permission"]["models"]) != _models(row):
        changes.append("models")
    return changes


def calls_for(body, row):
    """The LiteLLM calls that make ``row`` (None: no customer yet) hold ``body``, in order.

    /customer/update cannot set a budget's duration: UpdateCustomerRequest has no budget_duration
    (litellm/proxy/_types.py, v1.104.2), so a budget it creates has none, and a duration on an existing budget
    is changed through /budget/update (budget_management_endpoints.py). A customer with no budget yet (one
    LiteLLM made by itself when a call first named the person) is made anew by /customer/new, which takes the
    duration, with its spend carried over (/customer/delete first).
    """
    if row is None:
        return [{"path": "/customer/new", "body": body}]
    if "budget_duration" in body and body["budget_duration"] != _budget(row)[1]:
        if not row.get("budget_id") or not row.get("litellm_budget_table"):
            return [{"path": "/customer/delete", "body": {"user_ids": [body["user_id"]]}},
                    {"path": "/customer/new", "body": dict(body, spend=row.get("spend") or 0.0)}]
        update = dict((k, v) for k, v in body.items() if k != "budget_duration")
        return [{"path": "/customer/update", "body": update},
                {"path": "/budget/update", "body": {"budget_id": row["budget_id"],
                                                    "budget_duration": body["budget_duration"]}}]
    return [{"path": "/customer/update", "body": dict((k, v) for k, v in body.items() if k != "budget_duration")}]


def portal_customers(users, customers, alias, listed=None, closed_budget=-1.0):
    if not isinstance(users, list) or not isinstance(customers, list):
        raise AnsibleFilterError("portal_customers: the users and the customers must be lists")
    held = {row.get("user_id"): row for row in customers if isinstance(row, dict)}
    writes = []
    planned = set()
    for user in users:
        row = held.get(user.get("user_id")) if isinstance(user, dict) else None
        body = wanted(user, alias, row)
        planned.add(body["user_id"])
        changes = sorted(set(body) - {"user_id"}) if row is None else differences(body, row)
        if changes:
            writes.append({"user_id": body["user_id"], "body": body, "changes": changes, "left": False,
                           "calls": calls_for(body, row)})
    for row in listed or []:
        if not isinstance(row, dict) or row.get("alias") != alias or row.get("user_id") in planned:
            continue
        body = {"user_id": row["user_id"], "alias": alias, "max_budget": float(closed_budget),
                "object_permission": permission([], row)}
        changes = differences(body, row)
        if changes:
            writes.append({"user_id": row["user_id"], "body": body, "changes": changes, "left": True,
                           "calls": calls_for(body, row)})
    return writes


class FilterModule:
    def filters(self):
        return {"portal_customers": portal_customers}
