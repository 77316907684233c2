# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM proxy admin API: shared argument spec, client, compare, plan and apply.

One file per job:

- ``args``: the shared connection argument spec (the ``litellm`` action group) and the
  key, user, team and group option specs that both modules use;
- ``errors``: the typed error a sync raises when it stops part-way;
- ``client``: the admin REST client on top of ``module_utils.http_client`` (paginated lists);
- ``compare``: normalise the server's objects, compare only what was declared, merge metadata;
- ``desired``: module parameters to the desired users, teams and keys (groups expanded);
- ``sync``: plan (pure) and apply (ordered writes, progress kept for the error report);
- ``key_service``: the single key of ``litellm_key``, present or absent.
"""
