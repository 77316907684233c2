#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: litellm_key
short_description: Ensure one LiteLLM virtual key, with its budget, limits and metadata
version_added: 0.1.0
description:
  - Creates, updates or deletes one virtual key of a LiteLLM proxy through its admin API.
  - The key's identity is O(key_alias), which LiteLLM keeps unique.
  - Only the options you set are compared and sent. An option left unset keeps whatever the key has.
    Model lists compare as sets, budgets as numbers.
  - O(metadata) is merged into the key's metadata rather than replacing it (LiteLLM itself replaces
    metadata on update, so the module reads it, merges and writes the result).
  - Keys created by this collection carry a tag in their metadata, under C(airgap.dify_platform), naming
    their owner (this module or M(airgap.dify_platform.litellm_key_sync)) and their O(scope).
    A key with this alias that this module did not create in the same O(scope) (a key made by hand, by
    another scope, or by a sync) is never changed or deleted unless O(adopt=true).
  - A no-op costs one request. After a write the key is read back, and the task fails if LiteLLM did
    not take a declared value. When the read-back after a create fails, the failure still returns the
    new raw key in RV(key).
  - A create is sent once, never retried. When it fails, the alias is looked up; if LiteLLM did create
    the key but its answer was lost, the raw key is lost with it and the task says so, unless
    O(recreate_lost_key=true).
  - To manage many keys, users and teams at once, use M(airgap.dify_platform.litellm_key_sync).
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
extends_documentation_fragment:
  - airgap.dify_platform.litellm
  - airgap.dify_platform.litellm.attributes
options:
  key_alias:
    description: The key's alias, its identity.
    type: str
    required: true
  state:
    description: Whether the key should exist.
    type: str
    choices: [present, absent]
    default: present
  key:
    description:
      - The raw key to create the key with; it must start with C(sk-). When not given, LiteLLM generates one
        and the module returns it once, as RV(key).
      - Only used when the key is created. LiteLLM cannot change the value of an existing key without
        regenerating it, so a different value for an existing key is reported as a warning, not applied.
      - Useful when the value must also go into a Kubernetes Secret; generate it first, keep it, pass it here.
    type: str
  user_id:
    description: The user the key belongs to.
    type: str
  team_id:
    description: The team the key belongs to. The team must exist.
    type: str
  models:
    description: Models (model group names) the key may call. Compared as a set; an empty list means all models.
    type: list
    elements: str
  max_budget:
    description: Budget of the key, in the proxy's currency (USD).
    type: float
  budget_duration:
    description: How often the key's spend is reset, for example V(30d), V(1mo), V(24h).
    type: str
  tpm_limit:
    description: Tokens per minute the key may use.
    type: int
  rpm_limit:
    description: Requests per minute the key may send.
    type: int
  max_parallel_requests:
    description: Requests the key may have in flight at once.
    type: int
  duration:
    description:
      - How long the key stays valid, for example V(90d). LiteLLM stores only the resulting expiry time.
      - Applied when the key is created, and again (counting from that run) only when the declared value
        changes; the declared value is remembered in the key's tag. Leaving it out never changes the expiry.
    type: str
  metadata:
    description:
      - Metadata merged into the key's metadata. Keys not listed are kept; a key set to V(null) is removed.
      - The key C(airgap.dify_platform) is reserved for the collection's tag.
    type: dict
  scope:
    description:
      - Recorded in the key's tag. The module changes and deletes only keys it created with the same scope;
        M(airgap.dify_platform.litellm_key_sync) never takes them, whatever its own scope.
    type: str
    default: default
  adopt:
    description:
      - Take over a key with this alias that this module did not create in this O(scope) (made by hand, by
        another scope, or by M(airgap.dify_platform.litellm_key_sync)); tag it as this task's, then update or
        delete it.
      - Without it, such a key makes the task fail and is left untouched.
    type: bool
    default: false
  recreate_lost_key:
    description:
      - When a create fails but LiteLLM did create the key (its answer, the only copy of the raw key, was
        lost on the way), delete that key and create it again once, returning the new raw key.
      - This also applies on a later run to a key whose tag records such a loss.
      - Without it the task fails, names the alias and says how to get a usable key; later runs warn.
        LiteLLM's own C(/key/regenerate) would keep the key's id but needs a LiteLLM Enterprise licence.
    type: bool
    default: false
notes:
  - The module returns the raw key of a key it creates as RV(key). Ansible cannot hide one return value,
    so set C(no_log) on a task that registers it, unless O(key) is given (Ansible then masks the value itself).
seealso:
  - module: airgap.dify_platform.litellm_key_sync
"""

EXAMPLES = r"""
- name: Ensure the key of the Dify platform in the LiteLLM gateway, and keep the raw key
  airgap.dify_platform.litellm_key:
    api_url: https://llm.apps.example.com
    master_key: "{{ litellm_master_key }}"
    key_alias: dify
    team_id: platform
    models: [gpt-4o, text-embedding-3-large]
    max_budget: 500
    budget_duration: 30d
    rpm_limit: 600
    metadata:
      owner: platform-team
  register: dify_key
  no_log: true

- name: Remove a key this collection created
  airgap.dify_platform.litellm_key:
    key_alias: old-integration
    state: absent
  module_defaults:
    group/airgap.dify_platform.litellm:
      api_url: https://llm.apps.example.com
      master_key: "{{ litellm_master_key }}"
"""

RETURN = r"""
key:
  description:
    - The raw key, returned only when this task created the key (never in check mode).
    - Shown this once; LiteLLM stores only its hash.
  returned: when the key was created, also when the read-back that follows failed
  type: str
  sample: sk-4sT2Lm3o8yHc0pA7QzLw1Q
lost_key:
  description:
    - The alias of the key when LiteLLM created it although the answer with its raw key was lost. The run where
      that happens fails; later runs warn. Set O(recreate_lost_key=true) to get a new raw key.
  returned: when the key's raw key was lost
  type: str
  sample: alice-notebook
existing:
  description: The key before the task (alias, the declarable fields, metadata, expiry); null when it did not exist.
  returned: always
  type: dict
  sample:
    key_alias: dify
    team_id: platform
    models: [gpt-4o]
    max_budget: 100.0
    metadata:
      airgap.dify_platform: {scope: default}
end_state:
  description:
    - The key after the task, read back from LiteLLM after a write; null when it was deleted.
    - In check mode, what the key would become.
  returned: always
  type: dict
  sample:
    key_alias: dify
    team_id: platform
    models: [gpt-4o, text-embedding-3-large]
    max_budget: 500.0
    budget_duration: 30d
    metadata:
      owner: platform-team
      airgap.dify_platform: {scope: default}
    expires: null
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.args import (
    connection_argument_spec,
    key_spec,
)
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.client import LiteLLMClient
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.errors import LostKeyError, ReadBackError
from ansible_collections.airgap.dify_platform.plugins.module_utils.litellm.key_service import ensure_key


def argument_spec():
    spec = connection_argument_spec()
    spec.update(key_spec())
    spec.update(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        scope=dict(type="str", default="default"),
        adopt=dict(type="bool", default=False),
        recreate_lost_key=dict(type="bool", default=False),
    )
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        client = LiteLLMClient.from_params(module.params)
        result = ensure_key(client, module.params, check_mode=module.check_mode)
    except ReadBackError as exc:
        module.fail_json(msg=str(exc), changed=True, key=exc.key)
    except LostKeyError as exc:
        module.fail_json(msg=str(exc), changed=True, lost_key=exc.alias)
    except PlatformError as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if not module._diff:
        result.pop("diff", None)
    if result.get("key") is None:
        result.pop("key", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
