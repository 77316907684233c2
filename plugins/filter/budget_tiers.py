# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: budget_tiers
short_description: Turn Keycloak group members and budget tiers into litellm_key_sync's users and groups
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Each person gets exactly one tier, the first of O(tiers) whose group holds them, so list the tiers
    from the largest budget down. Group membership alone decides the team, the models and the budget.
  - Returns C(users) (each person's LiteLLM user with the tier's budget, models and duration, and the tier in
    its metadata) and C(groups) (one per tier, the persons assigned to it, with the tier's limits on their key),
    the options of M(airgap.dify_platform.litellm_key_sync) of the same names.
  - Every key alias comes from O(key_alias_format) without the group, so a person moved to another tier keeps
    the same key and only its limits change; with C(prune=true) a person who left every group loses the key.
options:
  _input:
    description: The RV(airgap.dify_platform.keycloak_group_members#module:members) result, group name to member ids.
    type: dict
    required: true
  tiers:
    description: The tiers, in priority order.
    type: list
    elements: dict
    required: true
    suboptions:
      group:
        description: The Keycloak group (as given to M(airgap.dify_platform.keycloak_group_members)).
        type: str
        required: true
      team_id:
        description: Team of the members' keys.
        type: str
      models:
        description: Models the members may call.
        type: list
        elements: str
      max_budget:
        description: Budget of each member (user and key).
        type: float
      budget_duration:
        description: How often the budget resets, for example V(30d).
        type: str
      tpm_limit:
        description: Tokens per minute of each key.
        type: int
      rpm_limit:
        description: Requests per minute of each key.
        type: int
  key_alias_format:
    description: Alias of each person's key; C({user}) is replaced, and must be there.
    type: str
    default: "portal-{user}"
"""

EXAMPLES = r"""
- name: Users and groups for the sync
  ansible.builtin.set_fact:
    budget_plan: >-
      {{ budget_groups.members | airgap.dify_platform.budget_tiers([
           {'group': 'ai-power-users', 'models': ['gpt-4o'], 'max_budget': 100, 'budget_duration': '30d'},
           {'group': 'ai-users', 'models': ['gpt-4o-mini'], 'max_budget': 10, 'budget_duration': '30d'}]) }}
"""

RETURN = r"""
_value:
  description: C(users) and C(groups) for M(airgap.dify_platform.litellm_key_sync), and C(assignments) (person to tier group).
  type: dict
"""

from ansible.errors import AnsibleFilterError

USER_LIMITS = ("models", "max_budget", "budget_duration")
KEY_LIMITS = ("team_id", "models", "max_budget", "budget_duration", "tpm_limit", "rpm_limit")
KNOWN = frozenset(("group", *KEY_LIMITS))
METADATA_KEY = "budget_tier"


def budget_tiers(members, tiers, key_alias_format="portal-{user}"):
    if not isinstance(members, dict):
        raise AnsibleFilterError("budget_tiers: the input must be a mapping of group to members")
    if "{user}" not in key_alias_format or "{group}" in key_alias_format:
        raise AnsibleFilterError("budget_tiers: key_alias_format must contain {user} and not {group}, so that a person "
                                 "moved to another tier keeps one key (got %r)" % key_alias_format)
    assignments = {}
    users, groups = [], []
    seen = set()
    for tier in tiers or []:
        group = tier.get("group") if isinstance(tier, dict) else None
        if not group:
            raise AnsibleFilterError("budget_tiers: every tier needs a group")
        unknown = sorted(set(tier) - KNOWN)
        if unknown:
            raise AnsibleFilterError("budget_tiers: tier %s has unknown fields %s" % (group, ", ".join(unknown)))
        if group in seen:
            raise AnsibleFilterError("budget_tiers: group %s names two tiers" % group)
        seen.add(group)
        if group not in members:
            raise AnsibleFilterError("budget_tiers: no members were read for group %s" % group)
        mine = sorted(m for m in members[group] or [] if m and m not in assignments)
        for member in mine:
            assignments[member] = group
            user = {"user_id": member, "metadata": {METADATA_KEY: group}}
            user.update((field, tier[field]) for field in USER_LIMITS if tier.get(field) is not None)
            users.append(user)
        entry = {"name": group, "members": mine, "key_alias_format": key_alias_format, "create_users": False}
        entry.update((field, tier[field]) for field in KEY_LIMITS if tier.get(field) is not None)
        groups.append(entry)
    return {"users": users, "groups": groups, "assignments": assignments}


class FilterModule:
    def filters(self):
        return {"budget_tiers": budget_tiers}
