"""boto3 round trip against shallot, driven by boto3_test.go.

usage: boto3_roundtrip.py ENDPOINT BUCKET BIGFILE DOWNLOADPATH

Checks what only the client sees (answers, paging, errors); the Go test
checks the mount side. Problems are collected, not asserted, so that one
run reports all of them; the result is one JSON object on stdout.
"""
import base64
import hashlib
import json
import sys
import zlib

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket, bigpath, downpath = sys.argv[1:5]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)
problems = []
out = {"boto3": boto3.__version__, "botocore": botocore.__version__, "problems": problems}


def check(cond, msg):
    if not cond:
        problems.append(msg)


# put_object / get_object
keys = ["page/k%02d" % i for i in range(7)]
bodies = {}
for i, k in enumerate(keys):
    body = ("object %d\n" % i).encode() * (i + 1)
    bodies[k] = body
    r = s3.put_object(Bucket=bucket, Key=k, Body=body, Metadata={"idx": str(i)}, ContentType="text/plain")
    etag = r["ETag"].strip('"')
    check(etag == hashlib.md5(body).hexdigest(), "put_object %s: ETag %s, want md5 %s" % (k, etag, hashlib.md5(body).hexdigest()))
    g = s3.get_object(Bucket=bucket, Key=k)
    got = g["Body"].read()
    check(got == body, "get_object %s: %d bytes, want %d" % (k, len(got), len(body)))
    check(g["ContentLength"] == len(body), "get_object %s: ContentLength %s" % (k, g["ContentLength"]))
    check(g["Metadata"] == {"idx": str(i)}, "get_object %s: Metadata %r, want {'idx': '%d'}" % (k, g["Metadata"], i))
    check(g["ContentType"] == "text/plain", "get_object %s: ContentType %r" % (k, g["ContentType"]))

# ranged get
k = keys[3]
g = s3.get_object(Bucket=bucket, Key=k, Range="bytes=2-5")
got = g["Body"].read()
check(got == bodies[k][2:6], "ranged get bytes=2-5: %r, want %r" % (got, bodies[k][2:6]))

# list_objects_v2 paging, two keys a page
listed, pages, token = [], 0, None
while True:
    kw = {"Bucket": bucket, "Prefix": "page/", "MaxKeys": 2}
    if token:
        kw["ContinuationToken"] = token
    r = s3.list_objects_v2(**kw)
    pages += 1
    contents = r.get("Contents", [])
    check(len(contents) <= 2, "page %d has %d keys, MaxKeys was 2" % (pages, len(contents)))
    check(r["KeyCount"] == len(contents), "page %d: KeyCount %s but %d keys" % (pages, r["KeyCount"], len(contents)))
    listed += [c["Key"] for c in contents]
    if not r["IsTruncated"]:
        break
    token = r.get("NextContinuationToken")
    if not token or pages > 20:
        check(False, "truncated page %d without a usable NextContinuationToken" % pages)
        break
check(listed == keys, "paged listing %r, want %r" % (listed, keys))
check(pages == 4, "paged listing took %d pages, want 4" % pages)

# the paginator (what most programs use), StartAfter, delimiter
pag = s3.get_paginator("list_objects_v2")
listed = [c["Key"] for p in pag.paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 3}) for c in p.get("Contents", [])]
check(listed == keys, "paginator listing %r, want %r" % (listed, keys))
r = s3.list_objects_v2(Bucket=bucket, Prefix="page/", StartAfter=keys[4])
listed = [c["Key"] for c in r.get("Contents", [])]
check(listed == keys[5:], "StartAfter listing %r, want %r" % (listed, keys[5:]))

# multipart via upload_file with a small threshold
tc = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=4)
s3.upload_file(bigpath, bucket, "multi/big.bin", Config=tc)
h = s3.head_object(Bucket=bucket, Key="multi/big.bin")
out["multipart_etag"] = h["ETag"].strip('"')
out["multipart_length"] = h["ContentLength"]
# Current boto3 (s3transfer) creates the upload with CRC32 and sends each
# part's CRC32; the object then has S3's composite checksum: CRC32 of the
# parts' CRC32s, "-N". Older boto3 sends none.
h = s3.head_object(Bucket=bucket, Key="multi/big.bin", ChecksumMode="ENABLED")
with open(bigpath, "rb") as f:
    part_sums = [zlib.crc32(c).to_bytes(4, "big") for c in iter(lambda: f.read(5 * 1024 * 1024), b"")]
want = base64.b64encode(zlib.crc32(b"".join(part_sums)).to_bytes(4, "big")).decode() + "-%d" % len(part_sums)
new_botocore = tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 36)
if new_botocore or "ChecksumCRC32" in h:
    check(h.get("ChecksumCRC32") == want and h.get("ChecksumType") == "COMPOSITE",
          "multipart checksum %r type %r, want %r COMPOSITE" % (h.get("ChecksumCRC32"), h.get("ChecksumType"), want))
s3.download_file(bucket, "multi/big.bin", downpath, Config=tc)

r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
prefixes = sorted(p["Prefix"] for p in r.get("CommonPrefixes", []))
check(prefixes == ["multi/", "page/"], "delimiter listing prefixes %r, want ['multi/', 'page/']" % prefixes)

# delete_objects, one key that never existed included (S3 reports it deleted)
gone = keys[:5] + ["page/never-existed"]
r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in gone]})
deleted = sorted(d["Key"] for d in r.get("Deleted", []))
check(deleted == sorted(gone), "delete_objects Deleted %r, want %r" % (deleted, sorted(gone)))
check(not r.get("Errors"), "delete_objects Errors %r" % r.get("Errors"))
r = s3.list_objects_v2(Bucket=bucket, Prefix="page/")
left = [c["Key"] for c in r.get("Contents", [])]
check(left == keys[5:], "after delete_objects %r, want %r" % (left, keys[5:]))
try:
    s3.head_object(Bucket=bucket, Key=keys[0])
    check(False, "head_object of a deleted key succeeded")
except ClientError as e:
    code = e.response["Error"]["Code"]
    check(code in ("404", "NoSuchKey"), "head_object of a deleted key: %s, want 404" % code)
try:
    s3.get_object(Bucket=bucket, Key=keys[0])
    check(False, "get_object of a deleted key succeeded")
except ClientError as e:
    code = e.response["Error"]["Code"]
    check(code == "NoSuchKey", "get_object of a deleted key: %s, want NoSuchKey" % code)

# An empty PUT then a non-empty one on the same kept-alive connection.
# boto3 sends "Expect: 100-continue" on every PUT with a body argument and
# keeps the status line of a final answer that came without "100 Continue"
# for the next request on that connection, which then hangs until the read
# timeout (60 s by default: aws s3 sync of a tree holding an empty file
# stalls a minute). So the server must send "100 Continue" even for an
# empty body.
one = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"},
                  max_pool_connections=1, read_timeout=3, connect_timeout=3),
)
try:
    for i in range(3):
        one.put_object(Bucket=bucket, Key="expect/empty-%d" % i, Body=b"")
        one.put_object(Bucket=bucket, Key="expect/full-%d" % i, Body=b"not empty")
except Exception as e:
    problems.append("empty PUT then non-empty PUT on one connection (Expect: 100-continue) failed: %r" % e)

json.dump(out, sys.stdout)
