# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: portal_tiles
short_description: The tiles of the portal's landing page, from Dify's apps and the declared tiles
version_added: 0.1.0
author: airgap.dify_platform maintainers (@airgap-dify-platform)
description:
  - Merges the apps M(airgap.dify_platform.dify_app_info) returns with the tiles declared in inventory, and returns
    one list of tiles, each with C(id), C(title), C(description), C(icon), C(url), C(groups), C(category) and
    C(source), in the order the page shows them (the declared C(order), then the title).
  - A declared tile with C(dify_app) set to an app's name changes that app's tile (any field it gives) instead of
    adding one; C(hidden=true) removes the app's tile. A C(dify_app) that names no app is an error, so a renamed app
    cannot silently lose its overrides.
  - The values are returned as given; the page template escapes every one of them.
  - An icon is an emoji or short text, or a C(data:image/) URI; a URL is refused, because the page makes no request
    outside the cluster.
options:
  _input:
    description: The C(apps) list M(airgap.dify_platform.dify_app_info) returns (empty when Dify is not read).
    type: list
    elements: dict
    required: true
  declared:
    description: The declared tiles (C(portal_tiles)).
    type: list
    elements: dict
    default: []
  dify_app_url:
    description: URL of a Dify app's tile; C({id}) and C({mode}) are replaced.
    type: str
    required: true
  dify_groups:
    description: Groups that see the Dify apps' tiles; empty means everyone.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Tiles of the page
  ansible.builtin.set_fact:
    tiles: >-
      {{ dify_apps.apps | airgap.dify_platform.portal_tiles(portal_tiles,
           dify_app_url='https://dify.apps.example.com/app/{id}/overview') }}
"""

RETURN = r"""
_value:
  description: The tiles, in the order the page shows them.
  type: list
  elements: dict
"""

import re

from ansible.errors import AnsibleFilterError

FIELDS = ("title", "description", "icon", "url", "groups", "category", "order")
DECLARED_FIELDS = frozenset((*FIELDS, "id", "dify_app", "hidden"))
ICON_MAX = 8  # characters of an emoji or text icon
MODE_CATEGORY = {
    "chat": "Chat", "advanced-chat": "Chat", "agent-chat": "Agent", "workflow": "Workflow",
    "completion": "Text generation",
}
SAFE_URL = re.compile(r"^(https?://|/)", re.I)


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "tile"


def _check_icon(icon, where):
    if icon is None or icon == "":
        return ""
    icon = str(icon)
    if icon.lower().startswith("data:image/"):
        return icon
    if "://" in icon or icon.startswith("/"):
        raise AnsibleFilterError("portal_tiles: %s: icon %r is a URL; the page loads nothing from outside itself, "
                                 "give an emoji, a short text or a data:image/ URI" % (where, icon))
    if len(icon) > ICON_MAX:
        raise AnsibleFilterError("portal_tiles: %s: icon %r is longer than %d characters" % (where, icon, ICON_MAX))
    return icon


def _check_url(url, where):
    if not url or not SAFE_URL.match(str(url)):
        raise AnsibleFilterError("portal_tiles: %s: url must start with https://, http:// or / (got %r)" % (where, url))
    return str(url)


def _groups(value, where):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("portal_tiles: %s: groups must be a list" % where)
    return sorted(set(str(g).lstrip("/") for g in value if g))


def _dify_tile(app, url_format, groups):
    name = app.get("name") or app.get("id")
    icon = app.get("icon") if app.get("icon_type") in (None, "emoji") else ""
    return {
        "id": "dify-" + str(app.get("id")), "title": name, "description": app.get("description") or "",
        "icon": icon or "", "url": url_format.replace("{id}", str(app.get("id"))).replace("{mode}", str(app.get("mode"))),
        "groups": list(groups), "category": MODE_CATEGORY.get(app.get("mode"), "App"), "source": "dify",
        "order": 100,
    }


def portal_tiles(apps, declared=None, dify_app_url=None, dify_groups=None):
    if not dify_app_url and apps:
        raise AnsibleFilterError("portal_tiles: dify_app_url is required when there are Dify apps")
    dify_groups = _groups(dify_groups or [], "dify_groups")
    tiles = {}
    by_name = {}
    for app in apps or []:
        tile = _dify_tile(app, dify_app_url, dify_groups)
        tile["icon"] = _check_icon(tile["icon"], "Dify app %r" % tile["title"])
        tiles[tile["id"]] = tile
        by_name.setdefault(app.get("name"), []).append(tile["id"])
    for index, item in enumerate(declared or []):
        if not isinstance(item, dict):
            raise AnsibleFilterError("portal_tiles: tile %d is not a mapping" % index)
        where = "tile %r" % (item.get("title") or item.get("dify_app") or index)
        unknown = sorted(set(item) - DECLARED_FIELDS)
        if unknown:
            raise AnsibleFilterError("portal_tiles: %s has unknown fields %s" % (where, ", ".join(unknown)))
        if item.get("dify_app"):
            ids = by_name.get(item["dify_app"])
            if not ids:
                raise AnsibleFilterError("portal_tiles: %s names Dify app %r, which Dify does not hold (renamed or "
                                         "deleted?)" % (where, item["dify_app"]))
            for tile_id in ids:
                if item.get("hidden"):
                    tiles.pop(tile_id, None)
                    continue
                tile = tiles[tile_id]
                for field in FIELDS:
                    if item.get(field) is not None:
                        tile[field] = item[field]
                tile["source"] = "dify+inventory"
            continue
        if item.get("hidden"):
            continue
        if not item.get("title"):
            raise AnsibleFilterError("portal_tiles: tile %d needs a title (or dify_app)" % index)
        tile = {"id": "tile-" + _slug(item.get("id") or item["title"]), "title": item["title"],
                "description": item.get("description") or "", "icon": item.get("icon") or "",
                "url": item.get("url"), "groups": item.get("groups") or [], "category": item.get("category") or "Link",
                "source": "inventory", "order": item.get("order", 100)}
        if tile["id"] in tiles:
            raise AnsibleFilterError("portal_tiles: %s: two tiles would have the id %s; give one an id" % (where, tile["id"]))
        tiles[tile["id"]] = tile
    result = []
    for tile in tiles.values():
        where = "tile %r" % tile["title"]
        tile["title"] = str(tile["title"])
        tile["description"] = str(tile["description"])
        tile["category"] = str(tile["category"])
        tile["icon"] = _check_icon(tile["icon"], where)
        tile["url"] = _check_url(tile["url"], where)
        tile["groups"] = _groups(tile["groups"], where)
        try:
            tile["order"] = int(tile["order"])
        except (TypeError, ValueError):
            raise AnsibleFilterError("portal_tiles: %s: order must be a number" % where) from None
        result.append(tile)
    result.sort(key=lambda t: (t["order"], t["title"].lower(), t["id"]))
    return result


class FilterModule:
    def filters(self):
        return {"portal_tiles": portal_tiles}
