"""Where the repo and the collection import path are, for every test tier."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")
COLLECTIONS_ROOT = CACHE / "collections"
