# -*- coding: utf-8 -*-
# Copyright: airgap.dify_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a bucket to a directory and back: read, plan, apply.

``download`` writes every object of a bucket under a directory, each key as its relative path, and
returns each object's size and SHA-256 (computed while it streams). ``plan_upload`` compares the
objects to write with the bucket's listing: an object whose key is missing is created; one with the
same size and an ETag equal to its MD5 (what S3 gives a single PUT) is unchanged; one of the same size with
another ETag (multipart, or a store whose ETag is no MD5) is compared by its content's SHA-256; any other is a
difference, never overwritten (restore goes into an empty or new bucket). The plan is data: check mode and the module's result come from it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError

CHUNK = 1024 * 1024


def safe_relpath(key):
    """The relative path a key is written to; refuses keys that would leave the directory."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("..", ".") for part in parts) or "\x00" in key or "\\" in key:
        raise ValidationError("refusing object key %r: it would not stay under the target directory" % key)
    return os.path.join(*parts)


def digests_of_file(path):
    """(size, md5 hex, sha256 hex) of a file, in one pass."""
    md5, sha, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return size, md5.hexdigest(), sha.hexdigest()
            md5.update(chunk)
            sha.update(chunk)
            size += len(chunk)


def digests_of_bytes(data):
    return len(data), hashlib.md5(data, usedforsecurity=False).hexdigest(), hashlib.sha256(data).hexdigest()


def items_of_dir(root):
    """Every file under ``root`` as an item to upload: {key, size, md5, sha256, path}, sorted by key."""
    items = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            size, md5, sha = digests_of_file(path)
            items.append({"key": key, "size": size, "md5": md5, "sha256": sha, "path": path})
    return sorted(items, key=lambda item: item["key"])


def items_of_content(objects):
    """In-memory objects ({key, content}) as items to upload; the content stays out of the result."""
    items = []
    for obj in objects or []:
        data = obj["content"]
        data = data.encode("utf-8") if not isinstance(data, bytes) else data
        size, md5, sha = digests_of_bytes(data)
        items.append({"key": obj["key"], "size": size, "md5": md5, "sha256": sha, "data": data})
    return items


def plan_upload(items, remote):
    """{create, same, check, differs, foreign}: keys of items by what the bucket holds for them.

    ``check`` are keys of the same size whose remote ETag is not the item's MD5 (a multipart ETag, or a store
    whose ETag is no MD5): their content is compared by SHA-256 (resolve_checks).
    ``foreign`` counts the bucket's keys that are not among the items (left alone).
    """
    index = dict((obj["key"], obj) for obj in remote)
    plan = {"create": [], "same": [], "check": [], "differs": [], "foreign": 0}
    for item in items:
        found = index.get(item["key"])
        if found is None:
            plan["create"].append(item["key"])
        elif found["size"] != item["size"]:
            plan["differs"].append(item["key"])
        elif found["etag"].lower() == item["md5"]:
            plan["same"].append(item["key"])
        else:
            # A multipart ETag, or one that is not the MD5 (S3 with SSE-KMS, some gateways): compare the content.
            plan["check"].append(item["key"])
    keys = set(item["key"] for item in items)
    plan["foreign"] = len([obj for obj in remote if obj["key"] not in keys])
    return plan


def download(client, bucket, root):
    """Every object of ``bucket`` into ``root``; returns [{key, size, sha256}] sorted by key."""
    records = []
    for obj in sorted(client.list_objects(bucket), key=lambda o: o["key"]):
        if obj["key"].endswith("/") and obj["size"] == 0:
            continue  # a "folder" marker some tools write; no content
        dest = os.path.join(root, safe_relpath(obj["key"]))
        parent = os.path.dirname(dest)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o700)
        size, sha = client.get_object(bucket, obj["key"], dest)
        os.chmod(dest, 0o600)
        if size != obj["size"]:
            raise ValidationError("object %r: listed with %d bytes, %d read" % (obj["key"], obj["size"], size))
        records.append({"key": obj["key"], "size": size, "sha256": sha})
    return records


def resolve_checks(client, bucket, plan, items):
    """Move each ``check`` key to ``same`` or ``differs`` by comparing its content's SHA-256."""
    by_key = dict((item["key"], item) for item in items)
    for key in plan["check"]:
        target = "same" if client.object_sha256(bucket, key) == by_key[key]["sha256"] else "differs"
        plan[target].append(key)
    plan["check"] = []
    return plan


def upload(client, bucket, plan, items):
    """PutObject for every key the plan creates."""
    by_key = dict((item["key"], item) for item in items)
    for key in plan["create"]:
        item = by_key[key]
        client.put_object(bucket, key, item.get("data", item.get("path")), item["size"], item["sha256"])
