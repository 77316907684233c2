"""Each image's user must not be one of Debian's static passwd entries.

kubelet passes only the UID of an image's ``user`` to the runtime when the pod sets no runAsGroup,
and containerd takes the GID from the image's /etc/passwd when that UID has an entry there: a
recipe with ``user: "65534:0"`` runs as 65534:65534 on plain Kubernetes (Debian's ``nobody``), not
with GID 0 as restricted-v2 gives on OpenShift (an arbitrary UID has no entry). Found on kind:
squid's ``13:0`` ran as 13:13 (Debian's ``proxy``), LiteLLM's ``65534:0`` as 65534:65534
(docs/molecule-kind.md). The static entries are base-passwd's (/usr/share/base-passwd/passwd.master,
base-passwd 3.6 in bookworm and trixie); every recipe's root filesystem starts from them.
"""

import pytest
import yaml

from helpers.paths import REPO

# base-passwd's passwd.master: name, UID, GID (root excluded: no recipe runs as root).
DEBIAN_STATIC_USERS = {1: "daemon", 2: "bin", 3: "sys", 4: "sync", 5: "games", 6: "man", 7: "lp", 8: "mail",
                       9: "news", 10: "uucp", 13: "proxy", 33: "www-data", 34: "backup", 38: "list", 39: "irc",
                       42: "_apt", 65534: "nobody"}
RECIPES = sorted((REPO / "hack" / "images").glob("*/recipe.yml"))


def test_there_are_recipes():
    assert len(RECIPES) > 5


@pytest.mark.parametrize("path", RECIPES, ids=[p.parent.name for p in RECIPES])
def test_the_image_user_has_no_debian_passwd_entry(path):
    user = str((yaml.safe_load(path.read_text()).get("config") or {}).get("user", ""))
    if not user:
        pytest.skip("no user in the image config")
    uid, _sep, gid = user.partition(":")
    assert gid == "0", "%s: user %s, GID 0 expected" % (path.parent.name, user)
    assert int(uid) not in DEBIAN_STATIC_USERS, (
        "%s: user %s is Debian's %s: containerd would run it with that user's GID, not 0"
        % (path.parent.name, user, DEBIAN_STATIC_USERS[int(uid)]))
