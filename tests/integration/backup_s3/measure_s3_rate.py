"""Measure the rate of the S3 part of a backup set: the collection's own S3 code (plugins/module_utils/s3, what
the s3_objects module runs) against SeaweedFS with TLS from a test CA on loopback.

    PYTHONPATH=tests:<collections root> python tests/integration/backup_s3/measure_s3_rate.py [MiB] [files]

Writes MiB of random data as ``files`` objects into a bucket, then times download (backup) and upload into a new
bucket (restore), and a second upload (nothing to write: listing and compare only). Prints JSON.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from harness.registry.registry import TestCA
from helpers.seaweedfs_s3 import SeaweedS3

from ansible_collections.airgap.dify_platform.plugins.module_utils.s3 import service
from ansible_collections.airgap.dify_platform.plugins.module_utils.s3.client import S3Client


def main():
    mib = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with tempfile.TemporaryDirectory(prefix="s3-rate-") as tmp:
        work = Path(tmp)
        store = SeaweedS3(work / "s3", TestCA(work / "ca", name="s3 rate CA")).start()
        try:
            client = S3Client(store.endpoint, "us-east-1", store.access_key, store.secret_key,
                              ca_pem=store.ca.cert_path.read_text())
            source = work / "source"
            for index in range(count):
                path = source / ("upload_files/t/%04d.bin" % index)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(os.urandom(mib * 1024 * 1024 // count))
            items = service.items_of_dir(str(source))
            client.create_bucket("dify")
            service.upload(client, "dify", service.plan_upload(items, []), items)
            started = time.monotonic()
            records = service.download(client, "dify", str(work / "set"))
            download = time.monotonic() - started
            started = time.monotonic()
            items = service.items_of_dir(str(work / "set"))
            client.create_bucket("restored")
            plan = service.plan_upload(items, client.list_objects("restored"))
            service.upload(client, "restored", plan, items)
            upload = time.monotonic() - started
            started = time.monotonic()
            again = service.plan_upload(items, client.list_objects("restored"))
            idle = time.monotonic() - started
            size = sum(r["size"] for r in records) / 1024 / 1024
            print(json.dumps({"MiB": round(size, 1), "objects": len(records),
                              "download_s": round(download, 1), "download_MiB_s": round(size / download, 1),
                              "upload_s": round(upload, 1), "upload_MiB_s": round(size / upload, 1),
                              "second_upload_to_write": len(again["create"]), "second_upload_s": round(idle, 2),
                              "loadavg": os.getloadavg()}))
        finally:
            store.stop()


if __name__ == "__main__":
    main()
