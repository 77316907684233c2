"""One run of a role's templates through the memo of rendered templates, and one without it.

Run as a program by test_render_memo_property.py, in a process of its own so that
the filter plugins it uses are those on disk now (a process imports a plugin
once). Arguments: the collections path holding airgap.dify_platform (a copy the
test edits), the role directory, the memo directory, the template names.

It prints JSON: for each template, the (identity, manifest digest) pairs a wave
would act on through the memo (those recalled, or those rendered when not
recalled), the pairs of a rendering without the memo, and how many were recalled.
"""

import json
import os
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar

# tests/, for the helpers shared with the test files: this file runs as a program.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from helpers.trusted import trusted

FIELD_MANAGER = "property-test"


class Action:
    """What WaveTemplates uses of an action plugin."""

    def __init__(self, role, variables):
        self._role = role
        self._loader = DataLoader()
        self._templar = Templar(loader=self._loader, variables=variables)

    def _find_needle(self, kind, name):
        return os.path.join(self._role, kind, name)


def variables_of(role):
    variables = {}
    for name in ("defaults.yml", "inventory.yml"):  # the inventory wins, as it does over role defaults
        with open(os.path.join(role, name)) as source:
            variables.update(trusted(yaml.safe_load(source) or {}))
    variables["ansible_search_path"] = [role]
    return variables


def main(collections, role, memo_dir, names):
    init_plugin_loader([collections])
    # Imported only now, from the copy, through the collection loader.
    from ansible_collections.airgap.dify_platform.plugins.module_utils.k8s.applied import manifest_digest
    from ansible_collections.airgap.dify_platform.plugins.plugin_utils.render_memo import RenderMemo, identity
    from ansible_collections.airgap.dify_platform.plugins.plugin_utils.wave_templates import WaveTemplates

    def pairs(objects):
        return [[identity(o), manifest_digest(o, FIELD_MANAGER, True)] for o in objects]

    variables = variables_of(role)
    action = Action(role, variables)
    memo = RenderMemo.load(memo_dir)
    through = WaveTemplates(action, variables, memo, FIELD_MANAGER, True).parts(names)
    memo_pairs = [[list(p) for p in part.recalled] if part.recalled is not None else pairs(part.objects())
                  for part in through]
    recalled = sum(part.recalled is not None for part in through)
    memo.save()
    fresh = [pairs(part.objects()) for part in WaveTemplates(action, variables).parts(names)]
    json.dump({"memo": memo_pairs, "fresh": fresh, "recalled": recalled}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
