"""Where the repo and the collection import path are, for every test tier."""

import hashlib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("AIRGAP_CACHE") or Path.home() / ".cache" / "airgap-dify-platform")
# One collections path per checkout, keyed like the Makefile's REPO_KEY.
COLLECTIONS_ROOT = CACHE / "collections" / hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
