"""The image recipes' code lives in hack/images/airgap_images (a build tool, not part of the collection)."""

import sys
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[3] / "hack" / "images"
if str(IMAGES) not in sys.path:
    sys.path.insert(0, str(IMAGES))
