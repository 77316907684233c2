#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: s3_objects
short_description: Copy an S3 bucket into a directory and back, or read one small object
version_added: 0.1.0
description:
  - With O(direction=download), writes every object of O(bucket) under O(path) (each key as its relative path,
    mode 0600) and returns each object's size and SHA-256. Used by the backup role for Dify's S3 file storage.
  - With O(direction=upload), writes the files under O(path) and the in-memory O(objects) into O(bucket), created
    when missing. An object already there with the same content (same size, and its ETag equal to the MD5, or
    for a multipart object the same SHA-256) is left alone, so a second run changes nothing. An object whose key
    is there with other content is never overwritten; the task fails and names it. Objects of the bucket that are
    not among those written are left alone and counted.
  - With O(direction=get), returns the content of the one object O(key) (UTF-8 text, at most 1 MiB) in RV(content),
    writing nothing; used by the restore's check to read a workspace's private key. Use C(no_log) on such a task.
  - Requests are signed with AWS Signature Version 4, TLS is verified against O(ca_pem) or the system store, and
    connection errors and 5xx answers are retried O(retries) times with backoff. No boto3 is needed.
author:
  - airgap.dify_platform maintainers (@airgap-dify-platform)
options:
  direction:
    description:
      - C(download) copies the bucket into O(path); C(upload) writes O(path) and O(objects) into the bucket; C(get)
        reads the object O(key).
    type: str
    required: true
    choices: [download, upload, get]
  key:
    description: For C(get), the object's key.
    type: str
  endpoint:
    description: The S3 endpoint, C(https://host[:port]).
    type: str
    required: true
  bucket:
    description: The bucket.
    type: str
    required: true
  region:
    description: The region the requests are signed for.
    type: str
    default: us-east-1
  access_key:
    description: The access key id.
    type: str
    required: true
  secret_key:
    description: The secret access key.
    type: str
    required: true
  address_style:
    description:
      - C(path) puts the bucket in the path; C(virtual) in the host name; C(auto) is virtual for C(amazonaws.com)
        endpoints and path otherwise (Dify's C(S3_ADDRESS_STYLE)).
    type: str
    default: path
    choices: [path, virtual, auto]
  ca_pem:
    description: PEM of the CA(s) that sign the endpoint's certificate; empty means the system's trust store.
    type: str
    default: ""
  path:
    description: The local directory to download into, or to upload from (optional for C(upload)).
    type: path
  objects:
    description: For C(upload), objects given in memory (never written to disk on the controller).
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The object's key.
        type: str
        required: true
      content:
        description: The object's content.
        type: str
        required: true
  create_bucket:
    description: For C(upload), create the bucket when it does not exist.
    type: bool
    default: true
  timeout:
    description: Seconds for each request.
    type: int
    default: 60
  retries:
    description: Times a request is retried after a connection error or a 5xx answer.
    type: int
    default: 3
attributes:
  check_mode:
    description: A download lists the bucket and writes nothing; an upload reports what it would write.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Copy Dify's bucket into the backup set
  airgap.dify_platform.s3_objects:
    direction: download
    endpoint: https://s3.example.internal
    bucket: dify
    access_key: "{{ s3_access_key }}"
    secret_key: "{{ s3_secret_key }}"
    ca_pem: "{{ dify_platform_ca_bundle_pem }}"
    path: /srv/backups/set-20261207T100000Z/files/s3
  no_log: true
"""

RETURN = r"""
objects:
  description: For C(download), every object written, sorted by key.
  returned: direction is download
  type: list
  elements: dict
  sample: [{"key": "upload_files/t1/a.txt", "size": 12, "sha256": "5891b5b5..."}]
count:
  description: Objects downloaded, or objects written by the upload.
  returned: always
  type: int
bytes:
  description: Bytes downloaded, or written by the upload.
  returned: always
  type: int
created:
  description: For C(upload), the keys written (or that would be written in check mode).
  returned: direction is upload
  type: list
  elements: str
unchanged:
  description: For C(upload), the number of objects already there with the same content.
  returned: direction is upload
  type: int
foreign:
  description: For C(upload), the number of objects in the bucket that are not among those written (left alone).
  returned: direction is upload
  type: int
content:
  description: For C(get), the object's content.
  returned: direction is get
  type: str
sha256:
  description: For C(get), the SHA-256 of the object's content.
  returned: direction is get
  type: str
"""

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import PlatformError
from ansible_collections.airgap.dify_platform.plugins.module_utils.http_client import check_retry_options
from ansible_collections.airgap.dify_platform.plugins.module_utils.s3 import service
from ansible_collections.airgap.dify_platform.plugins.module_utils.s3.client import S3Client


GET_LIMIT = 1024 * 1024


def argument_spec():
    return dict(
        direction=dict(type="str", required=True, choices=["download", "upload", "get"]),
        key=dict(type="str", no_log=False),
        endpoint=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        region=dict(type="str", default="us-east-1"),
        access_key=dict(type="str", required=True, no_log=True),
        secret_key=dict(type="str", required=True, no_log=True),
        address_style=dict(type="str", default="path", choices=["path", "virtual", "auto"]),
        ca_pem=dict(type="str", default=""),
        path=dict(type="path"),
        objects=dict(type="list", elements="dict", default=[], options=dict(
            key=dict(type="str", required=True, no_log=False),
            content=dict(type="str", required=True, no_log=True))),
        create_bucket=dict(type="bool", default=True),
        timeout=dict(type="int", default=60),
        retries=dict(type="int", default=3),
    )


def run_download(module, client):
    params = module.params
    if not params["path"]:
        module.fail_json(msg="path is required to download")
    if module.check_mode:
        listed = [o for o in client.list_objects(params["bucket"]) if not o["key"].endswith("/")]
        return dict(changed=bool(listed), objects=[], count=len(listed), bytes=sum(o["size"] for o in listed))
    if not os.path.isdir(params["path"]):
        os.makedirs(params["path"], 0o700)
    records = service.download(client, params["bucket"], params["path"])
    return dict(changed=bool(records), objects=records, count=len(records), bytes=sum(r["size"] for r in records))


def run_upload(module, client):
    params = module.params
    items = (service.items_of_dir(params["path"]) if params["path"] and os.path.isdir(params["path"]) else [])
    items += service.items_of_content(params["objects"])
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        module.fail_json(msg="the same key is given twice among path and objects")
    for key in keys:
        service.safe_relpath(key)
    exists = client.bucket_exists(params["bucket"])
    if not exists and not params["create_bucket"]:
        module.fail_json(msg="bucket %s does not exist and create_bucket is false" % params["bucket"])
    remote = client.list_objects(params["bucket"]) if exists else []
    plan = service.resolve_checks(client, params["bucket"], service.plan_upload(items, remote), items)
    if plan["differs"]:
        module.fail_json(msg="The bucket %s already holds other content under %d key(s) of those to write: %s. Restore "
                             "into an empty or new bucket; nothing was written." % (
                                 params["bucket"], len(plan["differs"]), ", ".join(sorted(plan["differs"])[:20])))
    written = dict((item["key"], item["size"]) for item in items if item["key"] in plan["create"])
    if not module.check_mode:
        if not exists:
            client.create_bucket(params["bucket"])
        service.upload(client, params["bucket"], plan, items)
    return dict(changed=bool(plan["create"]) or not exists, created=sorted(plan["create"]), count=len(written),
                bytes=sum(written.values()), unchanged=len(plan["same"]), foreign=plan["foreign"])


def run_get(module, client):
    if not module.params["key"]:
        module.fail_json(msg="key is required to get an object")
    data = client.get_small_object(module.params["bucket"], module.params["key"], GET_LIMIT)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        module.fail_json(msg="object %s is not UTF-8 text" % module.params["key"])
    return dict(changed=False, content=text, count=1, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        check_retry_options(params)
        client = S3Client(params["endpoint"], params["region"], params["access_key"], params["secret_key"],
                          address_style=params["address_style"], ca_pem=params["ca_pem"] or None,
                          timeout=params["timeout"], retries=params["retries"])
        run = {"download": run_download, "upload": run_upload, "get": run_get}[params["direction"]]
        result = run(module, client)
    except (PlatformError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
