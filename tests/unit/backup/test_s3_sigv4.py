"""The S3 client's pure parts: Signature Version 4 against AWS's published example, the listing parser, the
upload plan (what makes a restore idempotent and refuses to overwrite), and the key guard."""

import pytest

from ansible_collections.airgap.dify_platform.plugins.module_utils.errors import ValidationError
from ansible_collections.airgap.dify_platform.plugins.module_utils.s3 import client, service, sigv4

EMPTY = sigv4.EMPTY_SHA256


def test_signature_matches_the_s3_reference_example():
    # Amazon S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload in a
    # Single Chunk (AWS Signature Version 4)", example "GET Object": its expected signature.
    headers = {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9", "x-amz-content-sha256": EMPTY,
               "x-amz-date": "20130524T000000Z"}
    header = sigv4.authorization("GET", "/test.txt", {}, headers, EMPTY, "AKIAIOSFODNN7EXAMPLE",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "20130524T000000Z")
    assert header == ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_list_objects_example_signature():
    # Same reference, example "GET Bucket (List Objects)": GET /?max-keys=2&prefix=J
    headers = {"Host": "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": EMPTY, "x-amz-date": "20130524T000000Z"}
    header = sigv4.authorization("GET", "/", {"max-keys": "2", "prefix": "J"}, headers, EMPTY, "AKIAIOSFODNN7EXAMPLE",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "20130524T000000Z")
    assert header.endswith("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")


def test_keys_are_encoded_as_s3_wants():
    assert sigv4.uri_encode("privkeys/a b/private.pem", True) == "privkeys/a%20b/private.pem"
    assert sigv4.canonical_query({"prefix": "a/b", "list-type": "2"}) == "list-type=2&prefix=a%2Fb"


def test_addressing_path_and_virtual():
    path = client.S3Client("https://s3.internal:8443", "us-east-1", "a", "b", "path")
    assert path.describe("dify", "privkeys/t/private.pem") == "https://s3.internal:8443/dify/privkeys/t/private.pem"
    virtual = client.S3Client("https://s3.internal:8443", "us-east-1", "a", "b", "virtual")
    assert virtual.describe("dify", "k") == "https://dify.s3.internal:8443/k"
    assert client.S3Client("https://s3.eu-west-1.amazonaws.com", "eu-west-1", "a", "b", "auto").virtual
    assert not client.S3Client("https://noobaa.internal", "us-east-1", "a", "b", "auto").virtual


def test_list_parser_pages():
    body = (b'<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<IsTruncated>true</IsTruncated><Contents><Key>a/b</Key><Size>3</Size><ETag>"900150983cd24fb0d6963f7d28e17f72"</ETag>'
            b'</Contents><NextContinuationToken>tok</NextContinuationToken></ListBucketResult>')
    objects, token = client.parse_list(body)
    assert objects == [{"key": "a/b", "size": 3, "etag": "900150983cd24fb0d6963f7d28e17f72"}] and token == "tok"


def test_upload_plan():
    items = service.items_of_content([{"key": "new", "content": "x"}, {"key": "same", "content": "abc"},
                                      {"key": "resized", "content": "abc"},
                                      {"key": "other", "content": "abc"}, {"key": "multi", "content": "abc"}])
    remote = [{"key": "same", "size": 3, "etag": "900150983cd24fb0d6963f7d28e17f72"},
              {"key": "resized", "size": 9, "etag": "x"},
              {"key": "other", "size": 3, "etag": "00000000000000000000000000000000"},
              {"key": "multi", "size": 3, "etag": "0123abcd-2"}, {"key": "theirs", "size": 1, "etag": "x"}]
    plan = service.plan_upload(items, remote)
    assert plan == {"create": ["new"], "same": ["same"], "check": ["other", "multi"], "differs": ["resized"], "foreign": 1}
    # The checks resolved by content: "multi" holds the same bytes, "other" does not.
    sha = dict((item["key"], item["sha256"]) for item in items)
    reader = type("Reader", (), {"object_sha256": lambda self, bucket, key: sha[key] if key == "multi" else "0" * 64})()
    plan = service.resolve_checks(reader, "b", plan, items)
    assert plan["same"] == ["same", "multi"] and plan["differs"] == ["resized", "other"] and plan["check"] == []
    # A second run after the upload: nothing to create.
    again = service.plan_upload(items[:1], [{"key": "new", "size": 1, "etag": "9dd4e461268c8034f5c8564e155c67a6"}])
    assert again["create"] == [] and again["same"] == ["new"]


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../../b", "a/./b", ""])
def test_keys_that_would_leave_the_directory_are_refused(key):
    with pytest.raises(ValidationError):
        service.safe_relpath(key)
