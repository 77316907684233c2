"""A copy of this collection's tracked files, for tests that build it.

The working tree is edited while tests run (several people, one tree): building from a
copy keeps the build consistent (a file rewritten during ``ansible-galaxy collection build``
gives a tarball whose FILES.json disagrees with it) and its content stable between two runs.
"""

import shutil
import subprocess
from pathlib import Path

from helpers.paths import REPO


def snapshot_collection(dest):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=str(REPO), stdout=subprocess.PIPE, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        source = REPO / rel
        if source.is_file():
            target = Path(dest) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(str(source), str(target))
    return str(dest)
