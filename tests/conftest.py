"""Make the repo importable as ansible_collections.airgap.dify_platform for every test tier."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")
COLLECTIONS_ROOT = CACHE / "collections"


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
sys.path.insert(0, str(REPO / "tests"))
