"""The kind backup drill is collected only when asked for (make backup-kind-drill sets AIRGAP_BACKUP_KIND_DRILL=1):
it needs its own kind cluster and costs far more than a phase of make test may (docs/backup-restore.md)."""

import os

collect_ignore_glob = [] if os.environ.get("AIRGAP_BACKUP_KIND_DRILL") == "1" else ["test_*.py"]
