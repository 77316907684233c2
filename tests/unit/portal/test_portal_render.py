"""The portal role's objects, rendered by Ansible from its own templates and tasks' expressions (no cluster).

The page: every tile there, every value escaped (a Dify app named <script> is
text), groups carried for the page's script, the Costs link hidden and tagged
with the admin groups, no reference to any other origin. The pod: restricted
security context, read-only root, requests and limits, only the proxy's port
published, the web server reached through the pod's loopback.
"""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml

from helpers.paths import REPO
from helpers.role_render import render_role_objects

from ansible_collections.airgap.dify_platform.plugins.filter.portal_tiles import portal_tiles

DIGEST = "@sha256:" + "b" * 64
# The role's "Open Chat" tile, with the URL its default gives for the domain below.
CHAT = dict(yaml.safe_load((REPO / "roles" / "portal" / "vars" / "main.yml").read_text())["__portal_chat_tile"],
            url="https://chat.apps.example.test")
EVIL = "<script>alert('owned')</script>"


def variables(**extra):
    apps = [{"id": "a%02d" % n, "name": "App %02d" % n, "mode": "workflow", "description": "Does %d" % n,
             "icon_type": "emoji", "icon": "⚙"} for n in range(55)]
    apps.append({"id": "evil", "name": EVIL, "mode": "chat", "description": "\" onmouseover=\"alert(1)",
                 "icon_type": "emoji", "icon": "<b>"})
    base = {
        "dify_platform_domain": "apps.example.test",
        "dify_platform_images": {"oauth2_proxy": "harbor.example.test/p/oauth2-proxy" + DIGEST,
                                 "static_web": "harbor.example.test/p/static-web" + DIGEST},
        "portal_tiles": [{"title": "Wiki", "url": "https://wiki.example.test", "icon": "W", "groups": ["staff"],
                          "description": "Team <notes>"}],
        "portal_admin_groups": ["platform-admins"],
    }
    # What the role's task computes (tasks/apply.yml), with the apps dify_app_info would have returned.
    base["__portal_tile_list"] = portal_tiles(apps, [CHAT] + base["portal_tiles"],
                                              dify_app_url="https://dify.apps.example.test/app/{id}/overview")
    base.update(extra)
    return base


@pytest.fixture(scope="module")
def objects():
    return render_role_objects("portal", ["page.yml.j2", "portal.yml.j2", "networkpolicies.yml.j2"], variables())


class Page(HTMLParser):
    """The tiles and links of the page, as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__()
        self.tiles, self.links, self.scripts, self.tags, self._in = [], {}, 0, [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "a" and "tile" in (attrs.get("class") or ""):
            self.tiles.append(attrs)
        elif tag == "a" and attrs.get("id"):
            self.links[attrs["id"]] = attrs
        if tag == "script":
            self.scripts += 1
        if tag == "span" and attrs.get("class") == "title":
            self._in = self.tiles[-1]

    def handle_data(self, data):
        if self._in is not None:
            self._in["title"] = data
            self._in = None


def page(objects, name="index.html"):
    return objects[("ConfigMap", "portal-page")]["data"][name]


def test_every_app_and_declared_tile_is_on_the_page_with_open_chat_first(objects):
    parsed = Page(page(objects))
    assert len(parsed.tiles) == 58  # Open Chat, 55 apps, the evil app, Wiki
    assert parsed.tiles[0]["title"] == "Open Chat"
    assert parsed.tiles[0]["href"] == "https://chat.apps.example.test"
    a00 = next(t for t in parsed.tiles if t["data-id"] == "dify-a00")
    assert a00["href"] == "https://dify.apps.example.test/app/a00/overview" and "hidden" not in a00
    wiki = next(t for t in parsed.tiles if t["title"] == "Wiki")
    assert json.loads(wiki["data-groups"]) == ["staff"] and "hidden" in wiki, "a group tile starts hidden"


def test_a_dify_app_named_script_is_text_not_markup(objects):
    text = page(objects)
    assert EVIL not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in text
    parsed = Page(text)
    assert parsed.scripts == 1, "the page's own script only"
    evil = next(t for t in parsed.tiles if t["data-id"] == "dify-evil")
    assert evil["title"] == EVIL, "the browser shows the name as text"
    assert "onmouseover" not in evil, "a description cannot add an attribute"


def test_costs_link_hidden_and_tagged_with_the_admin_groups(objects):
    costs = Page(page(objects)).links["costs"]
    assert "hidden" in costs and json.loads(costs["data-groups"]) == ["platform-admins"]
    assert costs["href"] == "https://litellm.apps.example.test/ui"


def test_the_page_names_no_other_origin(objects):
    text = page(objects)
    assert re.findall(r"""(?:src|href)=["'](?!https://(?:chat|dify|litellm|wiki)\.|acceptable-use|/oauth2/|data:)""",
                      text) == []
    assert "default-src 'none'" in text and "connect-src 'self'" in text
    assert "@import" not in text and "url(" not in text
    assert Page(page(objects)).links["aup"]["href"] == "acceptable-use.html"
    assert "Every request is logged" in page(objects, "acceptable-use.html")


def test_the_pod_is_restricted_read_only_with_requests_and_limits(objects):
    spec = objects[("Deployment", "portal")]["spec"]["template"]["spec"]
    assert spec["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        ctx = container["securityContext"]
        assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]} and "runAsUser" not in ctx
        assert set(container["resources"]) == {"requests", "limits"}
    web, proxy = spec["containers"]
    assert web["image"].endswith("static-web" + DIGEST)
    assert {"name": "page", "mountPath": "/srv/www", "readOnly": True} in web["volumeMounts"]
    assert "--upstream=http://127.0.0.1:8080/" in proxy["args"]
    assert "--redirect-url=https://portal.apps.example.test/oauth2/callback" in proxy["args"]


def test_only_the_proxy_port_is_published_and_let_in(objects):
    assert objects[("Service", "portal")]["spec"]["ports"][0]["port"] == 4180
    route = objects[("Route", "portal")]["spec"]
    assert route["host"] == "portal.apps.example.test" and route["port"]["targetPort"] == "http"
    egress = objects[("NetworkPolicy", "portal-egress-oidc")]["spec"]
    assert egress["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "portal"}}
    assert egress["egress"] == [{"ports": [{"port": 443, "protocol": "TCP"}, {"port": 8443, "protocol": "TCP"}]}]


def test_the_foundation_lets_only_the_router_in_on_the_proxy_port_when_the_portal_is_on():
    on = {"dify_platform_domain": "apps.example.test", "dify_platform_registry": "harbor.example.test",
          "dify_platform_components": ["foundation", "keycloak", "postgres", "redis", "dify", "oauth2_proxy", "litellm",
                                       "portal"]}
    policies = render_role_objects("foundation", ["networkpolicies.yml.j2"], on)
    portal = [p for (kind, name), p in policies.items() if p["spec"]["podSelector"].get("matchLabels") ==
              {"app.kubernetes.io/name": "portal"} and "Ingress" in p["spec"]["policyTypes"]]
    ingress = [rule for p in portal for rule in p["spec"].get("ingress", [])]
    assert ingress == [{"from": [{"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}}}],
                        "ports": [{"protocol": "TCP", "port": 4180}]}]
    off = dict(on, dify_platform_components=on["dify_platform_components"][:-1])
    policies = render_role_objects("foundation", ["networkpolicies.yml.j2"], off)
    assert not any(p["spec"]["podSelector"].get("matchLabels") == {"app.kubernetes.io/name": "portal"}
                   for p in policies.values())


def test_an_acceptable_use_url_replaces_the_served_page():
    objects = render_role_objects("portal", ["page.yml.j2"], variables(
        portal_acceptable_use_url="https://intranet.example.test/aup"))
    data = objects[("ConfigMap", "portal-page")]["data"]
    assert "acceptable-use.html" not in data
    assert Page(data["index.html"]).links["aup"]["href"] == "https://intranet.example.test/aup"


def test_characters_beyond_ascii_reach_the_configmap_as_themselves(objects):
    """The emoji of the Open Chat icon (U+1F4AC, beyond the BMP) and a Dify app's icon (U+2699) are in the
    ConfigMap as themselves: not as lone surrogates (a JSON surrogate pair escape in the rendered YAML, which
    the YAML parser reads as two surrogates: the page would show two broken characters) and not as HTML
    character references (the portal's own escaping, removed now that the shared HTTP client sends them as
    themselves; molecule kind's browser test sees an emoji title applied and shown: tests/browser/test_portal_kind.py)."""
    text = page(objects)
    assert "\U0001F4AC" in text, "the Open Chat icon (U+1F4AC)"
    assert "\u2699" in text, "a Dify app's icon (U+2699)"
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text), "a lone surrogate: the emoji was escaped, then split"
    assert "&#x" not in text
    text.encode("utf-8")  # what the HTTP client sends
