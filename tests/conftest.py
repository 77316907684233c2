"""Make the repo importable as ansible_collections.airgap.dify_platform for every test tier."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers.paths import CACHE, COLLECTIONS_ROOT, REPO

__all__ = ["CACHE", "COLLECTIONS_ROOT", "REPO"]


def _link_collection():
    link = COLLECTIONS_ROOT / "ansible_collections" / "airgap" / "dify_platform"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and link.resolve() == REPO):
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO)


_link_collection()
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
