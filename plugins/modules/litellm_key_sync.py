#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: litellm_key_sync
short_description: Sync LiteLLM users, teams and virtual keys, with budgets and limits, from a declared list
version_added: 0.1.0
description:
  - Makes a LiteLLM proxy hold the declared teams, users and virtual keys. Missing ones are created and
    drifted fields are updated. Only declared fields are compared; model lists compare as sets.
  - Identities are C(team_id), C(user_id) and C(key_alias) (unique in LiteLLM).
  - O(groups) gives each member of a group (for example a Keycloak group, see the example) a user and a key
    with the group's limits.
  - C(metadata) is merged into what LiteLLM holds rather than replacing it.
  - Keys created by this collection carry a tag in their metadata (C(airgap.dify_platform)) naming their owner
    (this module or M(airgap.dify_platform.litellm_key)) and their O(scope). Only keys this module tagged in
    the same O(scope) are ever changed or deleted, and deleted only with O(prune=true). Keys made by hand, by
    another scope, or by M(airgap.dify_platform.litellm_key) are never changed or deleted; declaring the alias
    of one makes the task fail before any change, naming who owns it, unless O(adopt=true).
    Users and teams are never deleted.
  - Creates are sent once, never retried. When one fails, the item is looked up. A team or user that exists
    was created; a key that exists was created but its raw key was lost with the answer, and the task fails
    saying so (RV(lost_keys)), unless O(recreate_lost_keys=true).
  - The current state is read with paginated lists (100 per page), not one read per item. The keys come with their
    users embedded, the declared users that own no key are asked for by id, and the teams are listed when some
    are declared. A run that changes nothing costs about one request per hundred keys.
  - Writes go in order (teams, users, keys, then deletions). If one fails after its retries, the task fails with
    a message that lists what was done and what was not; nothing after the failed write was attempted, and
    deletions had not started unless the failure was in one. The failed task reports C(changed=true) when
    anything was written. Running the task again finishes the job.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.litellm
  - airgap.dify_platform.litellm.attributes
options:
  teams:
    description: Teams that should exist.
    type: list
    elements: dict
    default: []
    suboptions:
      team_id:
        description: The team's id, its identity.
        type: str
        required: true
      team_alias:
        description: Display name of the team.
        type: str
      models:
        description: Models the team's keys may call. Compared as a set.
        type: list
        elements: str
      max_budget:
        description: Budget of the team.
        type: float
      budget_duration:
        description: How often the team's spend is reset, for example V(30d).
        type: str
      tpm_limit:
        description: Tokens per minute for the team.
        type: int
      rpm_limit:
        description: Requests per minute for the team.
        type: int
      metadata:
        description: Metadata merged into the team's metadata; a key set to V(null) is removed.
        type: dict
  users:
    description: Users that should exist (created without a key of their own).
    type: list
    elements: dict
    default: []
    suboptions:
      user_id:
        description: The user's id, its identity.
        type: str
        required: true
      user_alias:
        description: Display name of the user.
        type: str
      user_email:
        description: E-mail address of the user.
        type: str
      user_role:
        description: The user's role in the proxy.
        type: str
        choices: [proxy_admin, proxy_admin_viewer, internal_user, internal_user_viewer]
      models:
        description: Models the user may call. Compared as a set.
        type: list
        elements: str
      max_budget:
        description: Budget of the user.
        type: float
      budget_duration:
        description: How often the user's spend is reset.
        type: str
      tpm_limit:
        description: Tokens per minute for the user.
        type: int
      rpm_limit:
        description: Requests per minute for the user.
        type: int
      max_parallel_requests:
        description: Requests the user may have in flight at once.
        type: int
      metadata:
        description: Metadata merged into the user's metadata; a key set to V(null) is removed.
        type: dict
  keys:
    description: Virtual keys that should exist. See M(airgap.dify_platform.litellm_key) for each option.
    type: list
    elements: dict
    default: []
    suboptions:
      key_alias:
        description: The key's alias, its identity.
        type: str
        required: true
      key:
        description:
          - The raw key (starting with C(sk-)) to create the key with. Only used at creation.
          - When not given, LiteLLM generates one and it is returned in RV(created_keys).
        type: str
      user_id:
        description: The user the key belongs to.
        type: str
      team_id:
        description: The team the key belongs to.
        type: str
      models:
        description: Models the key may call. Compared as a set.
        type: list
        elements: str
      max_budget:
        description: Budget of the key.
        type: float
      budget_duration:
        description: How often the key's spend is reset, for example V(30d).
        type: str
      tpm_limit:
        description: Tokens per minute for the key.
        type: int
      rpm_limit:
        description: Requests per minute for the key.
        type: int
      max_parallel_requests:
        description: Requests the key may have in flight at once.
        type: int
      duration:
        description:
          - How long the key stays valid, for example V(90d). Applied at creation and again only when the
            declared value changes.
        type: str
      metadata:
        description: Metadata merged into the key's metadata; a key set to V(null) is removed.
        type: dict
  groups:
    description:
      - Groups whose members each get a user (unless O(groups[].create_users=false)) and a key with the group's
        limits. The key's alias comes from O(groups[].key_alias_format); the group's name is recorded in the
        key's tag.
      - Fill it from the identity provider in the playbook, for example from Keycloak group members.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the group.
        type: str
        required: true
      members:
        description: User ids of the members.
        type: list
        elements: str
        required: true
      key_alias_format:
        description: Alias of each member's key; C({group}) and C({user}) are replaced.
        type: str
        default: "{group}-{user}"
      create_users:
        description: Create a LiteLLM user for each member that does not exist.
        type: bool
        default: true
      team_id:
        description: Team of the members' keys.
        type: str
      models:
        description: Models the members' keys may call.
        type: list
        elements: str
      max_budget:
        description: Budget of each member's key.
        type: float
      budget_duration:
        description: How often each key's spend is reset.
        type: str
      tpm_limit:
        description: Tokens per minute for each key.
        type: int
      rpm_limit:
        description: Requests per minute for each key.
        type: int
      max_parallel_requests:
        description: Requests each key may have in flight at once.
        type: int
      duration:
        description: How long each key stays valid.
        type: str
      metadata:
        description: Metadata merged into each key's metadata.
        type: dict
  prune:
    description:
      - Delete keys tagged by this collection with the same O(scope) that are not declared (any more).
      - Keys without the tag, users and teams are never deleted.
    type: bool
    default: false
  scope:
    description:
      - Name of this set of keys, recorded in each key's tag. O(prune) only deletes keys of the same scope, so that
        several independent syncs can share one proxy.
    type: str
    default: default
  adopt:
    description:
      - Take over declared keys whose alias belongs to a key this module did not create in this O(scope) (made by
        hand, by another scope, or by M(airgap.dify_platform.litellm_key)); tag them and manage them from then
        on. Without it such a key makes the task fail before any change.
    type: bool
    default: false
  recreate_lost_keys:
    description:
      - When a key create fails but LiteLLM did create the key (its answer, the only copy of the raw key, was
        lost on the way), delete that key and create it again once, returning the new raw key in RV(created_keys).
        This also applies on a later run to a key whose tag records such a loss.
      - Without it the task fails, names the alias in RV(lost_keys) and says how to get a usable key; later runs
        warn about the key and name it in RV(lost_keys).
    type: bool
    default: false
notes:
  - RV(created_keys) holds the raw keys of the keys this run created, also when the task fails part-way.
    Ansible cannot hide one return value, so set C(no_log) on the task unless every key gives O(keys[].key).
  - To make keys whose raw value must end up in a Kubernetes Secret, generate the values first
    (for example with C(lookup('password', ...)) into a Secret), and pass them as O(keys[].key).
seealso:
  - module: airgap.dify_platform.litellm_key
"""

EXAMPLES = r"""
- name: Sync the gateway's teams, users and keys
  airgap.dify_platform.litellm_key_sync:
    api_url: https://llm.apps.example.com
    master_key: "{{ litellm_master_key }}"
    teams:
      - team_id: research
        team_alias: Research
        max_budget: 2000
        budget_duration: 30d
    users:
      - user_id: alice
        user_email: alice@example.com
    keys:
      - key_alias: alice-notebook
        user_id: alice
        team_id: research
        models: [gpt-4o]
        max_budget: 50
        budget_duration: 30d
        rpm_limit: 60
        metadata:
          cost_center: "4711"
    prune: true
  register: litellm_sync
  no_log: true

- name: Give every member of a Keycloak group a key with the group's default budget
  airgap.dify_platform.litellm_key_sync:
    groups:
      - name: data-science
        members: "{{ keycloak_group_members | map(attribute='username') | list }}"
        models: [gpt-4o-mini]
        max_budget: 20
        budget_duration: 30d
    scope: keycloak-groups
    prune: true
  module_defaults:
    group/airgap.dify_platform.litellm:
      api_url: https://llm.apps.example.com
      master_key: "{{ litellm_master_key }}"
  no_log: true
"""

RETURN = r"""
lost_keys:
  description:
    - Aliases of declared keys that LiteLLM created although the answer with their raw key was lost. The run
      where that happens fails; later runs warn. Set O(recreate_lost_keys=true) to get new raw keys for them.
  returned: always
  type: list
  elements: str
  sample: [alice-notebook]
created_keys:
  description:
    - Raw keys of the keys this run created, by alias. Shown this once; LiteLLM stores only their hash.
    - Empty in check mode.
  returned: always
  type: dict
  sample:
    alice-notebook: sk-4sT2Lm3o8yHc0pA7QzLw1Q
summary:
  description: How many teams, users and keys were (or in check mode would be) created, updated, deleted, or left unchanged.
  returned: always
  type: dict
  sample:
    created: {teams: 1, users: 1, keys: 1}
    updated: {teams: 0, users: 0, keys: 0}
    deleted: {teams: 0, users: 0, keys: 2}
    unchanged: {teams: 0, users: 0, keys: 40}
actions:
  description: Every write, in the order it was (or would be) sent, with the fields that differ.
  returned: always
  type: list
  elements: dict
  sample:
    - {op: create, kind: key, id: alice-notebook, changes: [max_budget, metadata, models, user_id]}
    - {op: update, kind: key, id: bob-notebook, changes: [max_budget]}
    - {op: delete, kind: key, id: carol-notebook, changes: []}
api_requests:
  description: HTTP requests the task sent to LiteLLM, retries included.
  returned: always
  type: int
  sample: 23
done:
  description: When a write failed part-way, the writes that were done before it, in order.
  returned: when the sync failed part-way
  type: list
  elements: str
  sample: [create team research, create key alice-notebook]
failed_action:
  description: When a write failed part-way, the write that failed (after its retries).
  returned: when the sync failed part-way
  type: str
  sample: create key bob-notebook
remaining:
  description: When a write failed part-way, the writes that were not attempted.
  returned: when the sync failed part-way
  type: list
  elements: str
  sample: [create key carol-notebook, delete key old-notebook]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.args import (
    connection_argument_spec,
    group_spec,
    key_spec,
    team_spec,
    user_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.client import LiteLLMClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.desired import build_desired
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import SyncError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.sync import (
    apply_plan,
    plan_sync,
    read_current,
)


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        teams=dict(type="list", elements="dict", default=[], options=team_spec()),
        users=dict(type="list", elements="dict", default=[], options=user_spec()),
        keys=dict(type="list", elements="dict", default=[], options=key_spec(), no_log=False),
        groups=dict(type="list", elements="dict", default=[], options=group_spec()),
        prune=dict(type="bool", default=False),
        scope=dict(type="str", default="default"),
        adopt=dict(type="bool", default=False),
        recreate_lost_keys=dict(type="bool", default=False),
    )
    return spec


def run(module, client):
    params = module.params
    desired = build_desired(params["teams"], params["users"], params["keys"], params["groups"])
    teams, users, keys = read_current(client, desired)
    plan = plan_sync(desired, teams, users, keys, params["scope"], prune=params["prune"], adopt=params["adopt"],
                     recreate_lost=params["recreate_lost_keys"])
    created_keys = {}
    if plan.changed and not module.check_mode:
        created_keys = apply_plan(plan, client, recreate_lost_keys=params["recreate_lost_keys"])
    result = dict(
        changed=plan.changed,
        created_keys=created_keys,
        summary=plan.summary(),
        actions=[action.as_dict() for action in plan.actions],
        lost_keys=plan.lost_keys,
        api_requests=client.request_count,
    )
    if module._diff and plan.changed:
        result["diff"] = plan.diff()
    return result, plan.warnings


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    client = None
    try:
        client = LiteLLMClient.from_params(module.params)
        result, warnings = run(module, client)
    except SyncError as exc:
        module.fail_json(msg=str(exc), changed=exc.changed, done=exc.done, failed_action=exc.failed,
                         remaining=exc.remaining, created_keys=exc.created_keys, lost_keys=exc.lost_keys,
                         api_requests=client.request_count)
    except PlatformError as exc:
        module.fail_json(msg=str(exc), api_requests=client.request_count if client else 0)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
