"""The portal's tile logic (plugins/filter/portal_tiles.py) and the budget tiers (plugins/filter/budget_tiers.py).

Pure functions, no Ansible run: merging Dify apps with declared tiles, group
lists, what is refused (URL icons, javascript: URLs, overrides of apps that no
longer exist), and who gets which budget tier.
"""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.airgap.dify_platform.plugins.filter.budget_tiers import budget_tiers
from ansible_collections.airgap.dify_platform.plugins.filter.portal_tiles import portal_tiles

URL = "https://dify.example.test/app/{id}/overview"
CHAT = {"id": "open-chat", "title": "Open Chat", "url": "https://chat.example.test", "order": 0, "category": "Chat"}


def app(name, app_id, mode="advanced-chat", **extra):
    return dict({"id": app_id, "name": name, "mode": mode, "description": "about " + name,
                 "icon_type": "emoji", "icon": "🤖"}, **extra)


def test_dify_apps_become_tiles_after_the_chat_tile_sorted_by_title():
    tiles = portal_tiles([app("zeta", "z1", "workflow"), app("Alpha", "a1")], [CHAT], dify_app_url=URL)
    assert [t["title"] for t in tiles] == ["Open Chat", "Alpha", "zeta"]
    alpha = tiles[1]
    assert alpha["url"] == "https://dify.example.test/app/a1/overview"
    assert (alpha["category"], alpha["source"], alpha["groups"], alpha["icon"]) == ("Chat", "dify", [], "🤖")
    assert tiles[2]["category"] == "Workflow"


def test_a_declared_tile_with_dify_app_changes_that_apps_tile_instead_of_adding_one():
    declared = [{"dify_app": "Alpha", "url": "https://dify.example.test/chat/AbCd", "groups": ["/finance"],
                 "description": "Answers finance questions"}]
    tiles = portal_tiles([app("Alpha", "a1")], declared, dify_app_url=URL)
    assert len(tiles) == 1
    assert tiles[0]["url"] == "https://dify.example.test/chat/AbCd"
    assert tiles[0]["groups"] == ["finance"], "group paths compare without the leading slash"
    assert tiles[0]["description"] == "Answers finance questions"
    assert tiles[0]["source"] == "dify+inventory"


def test_hidden_removes_a_dify_apps_tile():
    tiles = portal_tiles([app("Alpha", "a1"), app("Beta", "b1")], [{"dify_app": "Beta", "hidden": True}],
                         dify_app_url=URL)
    assert [t["title"] for t in tiles] == ["Alpha"]


def test_an_override_of_an_app_dify_no_longer_holds_is_refused():
    with pytest.raises(AnsibleFilterError, match="Dify app 'Gone'"):
        portal_tiles([app("Alpha", "a1")], [{"dify_app": "Gone", "url": "https://x.example.test"}], dify_app_url=URL)


def test_dify_groups_apply_to_every_dify_tile_and_declared_groups_to_their_tile():
    declared = [{"title": "Wiki", "url": "https://wiki.example.test", "groups": ["staff", "staff", "/admins"]}]
    tiles = portal_tiles([app("Alpha", "a1")], declared, dify_app_url=URL, dify_groups=["ai-users"])
    by_title = {t["title"]: t for t in tiles}
    assert by_title["Alpha"]["groups"] == ["ai-users"]
    assert by_title["Wiki"]["groups"] == ["admins", "staff"]


@pytest.mark.parametrize("icon", ["https://cdn.example.com/x.png", "//cdn.example.com/x.png", "/icons/x.png"])
def test_an_icon_that_is_a_url_is_refused(icon):
    with pytest.raises(AnsibleFilterError, match="is a URL"):
        portal_tiles([], [{"title": "T", "url": "https://t.example.test", "icon": icon}], dify_app_url=URL)


def test_a_data_uri_icon_is_kept_and_a_dify_image_icon_falls_back_to_no_icon():
    data = "data:image/svg+xml;base64,PHN2Zy8+"
    tiles = portal_tiles([app("Img", "i1", icon_type="image", icon="f3c1-file-id")],
                         [{"title": "T", "url": "https://t.example.test", "icon": data}], dify_app_url=URL)
    assert {t["title"]: t["icon"] for t in tiles} == {"Img": "", "T": data}


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "", None, "ftp://x"])
def test_a_tile_url_must_be_http_or_a_path(url):
    with pytest.raises(AnsibleFilterError, match="url must start"):
        portal_tiles([], [{"title": "T", "url": url}], dify_app_url=URL)


def test_a_dify_app_name_with_markup_is_returned_as_text_for_the_template_to_escape():
    tiles = portal_tiles([app("<script>alert(1)</script>", "x1")], [], dify_app_url=URL)
    assert tiles[0]["title"] == "<script>alert(1)</script>"


def test_unknown_fields_and_duplicate_ids_are_refused():
    with pytest.raises(AnsibleFilterError, match="unknown fields colour"):
        portal_tiles([], [{"title": "T", "url": "/t", "colour": "red"}], dify_app_url=URL)
    with pytest.raises(AnsibleFilterError, match="two tiles would have the id tile-wiki"):
        portal_tiles([], [{"title": "Wiki", "url": "/a"}, {"title": "wiki", "url": "/b"}], dify_app_url=URL)


def test_sixty_tiles_keep_their_order():
    apps = [app("app %02d" % n, "id%02d" % n) for n in range(60)]
    tiles = portal_tiles(apps, [CHAT], dify_app_url=URL)
    assert len(tiles) == 61 and tiles[0]["id"] == "tile-open-chat"
    assert [t["title"] for t in tiles[1:]] == ["app %02d" % n for n in range(60)]


# --- budget tiers ---------------------------------------------------------------------------

TIERS = [{"group": "power", "models": ["big", "small"], "max_budget": 50.0, "budget_duration": "30d", "rpm_limit": 60},
         {"group": "users", "models": ["small"], "max_budget": 5.0, "budget_duration": "30d"}]


def test_each_person_gets_the_first_tier_that_holds_them():
    plan = budget_tiers({"power": ["bob"], "users": ["alice", "bob"]}, TIERS)
    assert plan["assignments"] == {"bob": "power", "alice": "users"}
    assert plan["users"] == [
        {"user_id": "bob", "metadata": {"budget_tier": "power"}, "models": ["big", "small"], "max_budget": 50.0,
         "budget_duration": "30d"},
        {"user_id": "alice", "metadata": {"budget_tier": "users"}, "models": ["small"], "max_budget": 5.0,
         "budget_duration": "30d"}]
    power, users = plan["groups"]
    assert power == {"name": "power", "members": ["bob"], "key_alias_format": "portal-{user}", "create_users": False,
                     "models": ["big", "small"], "max_budget": 50.0, "budget_duration": "30d", "rpm_limit": 60}
    assert users["members"] == ["alice"], "bob is in power already"


def test_the_key_alias_never_names_the_group_so_a_moved_person_keeps_the_key():
    with pytest.raises(AnsibleFilterError, match=r"not \{group\}"):
        budget_tiers({"power": []}, TIERS[:1], key_alias_format="{group}-{user}")
    with pytest.raises(AnsibleFilterError, match=r"must contain \{user\}"):
        budget_tiers({"power": []}, TIERS[:1], key_alias_format="portal")


def test_a_tier_whose_group_was_not_read_and_unknown_fields_are_refused():
    with pytest.raises(AnsibleFilterError, match="no members were read for group users"):
        budget_tiers({"power": []}, TIERS)
    with pytest.raises(AnsibleFilterError, match="unknown fields budget"):
        budget_tiers({"power": []}, [{"group": "power", "budget": 3}])
