#!/usr/bin/env python3
"""Real-client checks: unmodified boto3/botocore 1.44.5 against the mock server (S3 dialect).

Usage: s3_boto3.py --endpoint http(s)://127.0.0.1:PORT [--ca-bundle PEM]
                   [--access-key AK --secret-key SK [--auth]] [--skip-large]

The server must have been started with --min-part-size 5242880 (the S3 default), so that
EntityTooSmall can be provoked. Over https boto3 sends PutObject/UploadPart bodies as aws-chunked
with a trailing checksum, so running this script over both schemes covers both payload forms.
With --auth the server was started with the same keys; the script then also checks that a wrong
secret and an unknown access key are refused.
"""

import base64
import concurrent.futures
import hashlib
import os
import shutil
import sys
import tempfile
import time
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from checklib import (
    Suite, admin_get, base_args, crc32_b64, expect, expect_bytes, expect_eq, expect_file_equal,
    expect_no_orphans, fail, md5_b64, md5_hex, multipart_etag, multipart_etag_of_file,
    random_bytes, state_problems, write_random_file,
)

MiB = 1024 * 1024
MIN_PART = 5 * MiB
DEFAULT_AK = "AKIAIOSFODNN7EXAMPLE"
DEFAULT_SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

BUCKET = "s3-bucket"
BUCKET2 = "s3-bucket-two"


def parse_args():
    p = base_args(__doc__)
    p.add_argument("--skip-large", action="store_true",
                   help="skip the 64 MiB upload_file/download_file transfers")
    a = p.parse_args()
    a.access_key = a.access_key or DEFAULT_AK
    a.secret_key = a.secret_key or DEFAULT_SK
    scheme = a.endpoint.split(":", 1)[0]
    a.suite_name = a.suite_name or f"s3_boto3[{scheme}{'+auth' if a.auth else ''}]"
    return a


ARGS = parse_args()


def make_client(access_key=None, secret_key=None, **cfg):
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=32,
        **cfg,
    )
    return boto3.client(
        "s3",
        endpoint_url=ARGS.endpoint,
        aws_access_key_id=access_key or ARGS.access_key,
        aws_secret_access_key=secret_key or ARGS.secret_key,
        region_name="us-east-1",
        verify=ARGS.ca_bundle if ARGS.ca_bundle else None,
        config=config,
    )


s3 = make_client()
suite = Suite(ARGS.suite_name)
STATE = {}
TMP = tempfile.mkdtemp(prefix="s3_boto3-")


def status_of(resp):
    return resp.get("ResponseMetadata", {}).get("HTTPStatusCode")


def expect_client_error(call, code, status, what):
    """Run call(); it must raise ClientError with this code (and HTTP status if given)."""
    try:
        resp = call()
    except ClientError as e:
        got_code = e.response.get("Error", {}).get("Code")
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        msg = e.response.get("Error", {}).get("Message")
        if got_code != code or (status is not None and got_status != status):
            fail(f"{what}: expected error {code} (HTTP {status}), got {got_code} "
                 f"(HTTP {got_status}): {msg}")
        return e
    fail(f"{what}: expected error {code} (HTTP {status}), but the call succeeded "
         f"(HTTP {status_of(resp) if isinstance(resp, dict) else '?'})")


def read_body(resp):
    return resp["Body"].read()


def put(key, body, bucket=BUCKET, **kw):
    return s3.put_object(Bucket=bucket, Key=key, Body=body, **kw)


def new_upload(key, bucket=BUCKET, **kw):
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]


def upload_part(key, uid, n, body, bucket=BUCKET, **kw):
    r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=body, **kw)
    return r["ETag"]


def complete(key, uid, parts, bucket=BUCKET, **kw):
    """parts: list of (number, etag) in the order to send them."""
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]}, **kw)


def abort_quietly(key, uid, bucket=BUCKET):
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)
    except ClientError:
        pass


# --------------------------------------------------------------------------------------------
# buckets


@suite.check("create_bucket")
def create_bucket():
    for b in (BUCKET, BUCKET2):
        r = s3.create_bucket(Bucket=b)
        expect_eq(status_of(r), 200, f"CreateBucket {b} status")
        s3.head_bucket(Bucket=b)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    expect(BUCKET in names and BUCKET2 in names,
           f"ListBuckets after creating {BUCKET}, {BUCKET2}: got {names}")


# --------------------------------------------------------------------------------------------
# the main multipart flow


MPU_KEY = "mpu/object.bin"
SRC_KEY = "mpu/src.bin"


@suite.check("mpu_concurrent_out_of_order_parts", needs=["create_bucket"])
def mpu_concurrent():
    src = random_bytes(3 * MiB, seed=7)
    put(SRC_KEY, src)
    parts = {n: random_bytes(MIN_PART + 1000 * n, seed=100 + n) for n in range(1, 5)}
    uid = new_upload(MPU_KEY)
    STATE["mpu_uid"] = uid
    order = [4, 2, 3, 1]  # submitted out of order, uploaded concurrently
    etags = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futs = {pool.submit(upload_part, MPU_KEY, uid, n, parts[n]): n for n in order}
        for f in concurrent.futures.as_completed(futs):
            etags[futs[f]] = f.result()
    for n, body in parts.items():
        expect_eq(etags[n], f'"{md5_hex(body)}"', f"UploadPart {n} ETag")
    STATE.update(src=src, parts=parts, etags=etags)
    return f"parts {order} in parallel, {sum(map(len, parts.values()))} bytes"


@suite.check("mpu_replace_part", needs=["mpu_concurrent_out_of_order_parts"])
def mpu_replace_part():
    uid, parts, etags = STATE["mpu_uid"], STATE["parts"], STATE["etags"]
    new2 = random_bytes(MIN_PART + 777, seed=202)
    e = upload_part(MPU_KEY, uid, 2, new2)
    expect_eq(e, f'"{md5_hex(new2)}"', "re-uploaded part 2 ETag")
    expect(e != etags[2], "re-uploaded part 2 has the same ETag as the first upload")
    STATE["old_etag2"] = etags[2]
    parts[2] = new2
    etags[2] = e


@suite.check("mpu_upload_part_copy_range", needs=["mpu_replace_part"])
def mpu_copy_range():
    uid, src = STATE["mpu_uid"], STATE["src"]
    first, last = 1000, 1000 + MiB + 575
    r = s3.upload_part_copy(Bucket=BUCKET, Key=MPU_KEY, UploadId=uid, PartNumber=5,
                            CopySource={"Bucket": BUCKET, "Key": SRC_KEY},
                            CopySourceRange=f"bytes={first}-{last}")
    want = src[first:last + 1]
    expect_eq(r["CopyPartResult"]["ETag"], f'"{md5_hex(want)}"', "UploadPartCopy ETag")
    expect("LastModified" in r["CopyPartResult"], "UploadPartCopy result has no LastModified")
    STATE["parts"][5] = want
    STATE["etags"][5] = r["CopyPartResult"]["ETag"]


@suite.check("mpu_list_parts_all", needs=["mpu_upload_part_copy_range"])
def mpu_list_parts():
    uid, parts, etags = STATE["mpu_uid"], STATE["parts"], STATE["etags"]
    r = s3.list_parts(Bucket=BUCKET, Key=MPU_KEY, UploadId=uid)
    got = [(p["PartNumber"], p["ETag"], p["Size"]) for p in r.get("Parts", [])]
    want = [(n, etags[n], len(parts[n])) for n in sorted(parts)]
    expect_eq(got, want, "ListParts (number, etag, size); part 2 must show only its latest upload")
    expect_eq(r.get("IsTruncated"), False, "ListParts IsTruncated")
    expect_eq(r.get("UploadId"), uid, "ListParts UploadId")
    expect_eq(r.get("Key"), MPU_KEY, "ListParts Key")


@suite.check("mpu_complete_uses_new_etag", needs=["mpu_list_parts_all"])
def mpu_complete():
    uid, parts, etags = STATE["mpu_uid"], STATE["parts"], STATE["etags"]
    # The ETag of the replaced first upload of part 2 must no longer be accepted.
    stale = [(n, STATE["old_etag2"] if n == 2 else etags[n]) for n in sorted(parts)]
    expect_client_error(lambda: complete(MPU_KEY, uid, stale), "InvalidPart", 400,
                        "Complete naming the replaced (stale) ETag of part 2")
    r = complete(MPU_KEY, uid, [(n, etags[n]) for n in sorted(parts)])
    want = multipart_etag([parts[n] for n in sorted(parts)])
    expect_eq(r.get("ETag"), want, "CompleteMultipartUpload ETag (md5 of part md5s, -5)")
    expect_eq(r.get("Key"), MPU_KEY, "Complete Key")
    expect_eq(r.get("Bucket"), BUCKET, "Complete Bucket")
    STATE["object"] = b"".join(parts[n] for n in sorted(parts))
    STATE["object_etag"] = want
    STATE["complete_parts"] = [(n, etags[n]) for n in sorted(parts)]
    return f"ETag {want}"


@suite.check("mpu_get_whole", needs=["mpu_complete_uses_new_etag"])
def mpu_get_whole():
    r = s3.get_object(Bucket=BUCKET, Key=MPU_KEY)
    expect_eq(status_of(r), 200, "GET status")
    expect_bytes(read_body(r), STATE["object"], "GET whole object")
    expect_eq(r["ETag"], STATE["object_etag"], "GET ETag")
    expect_eq(r["ContentLength"], len(STATE["object"]), "GET Content-Length")


@suite.check("mpu_get_ranges", needs=["mpu_complete_uses_new_etag"])
def mpu_get_ranges():
    obj = STATE["object"]
    total = len(obj)
    p1 = len(STATE["parts"][1])
    cases = [
        ("bytes=0-9", 0, 9),
        (f"bytes={p1 - 5}-{p1 + 4}", p1 - 5, p1 + 4),  # across the part 1/2 boundary
        (f"bytes={total - 100}-{total - 1}", total - 100, total - 1),
        ("bytes=-100", total - 100, total - 1),  # suffix
        (f"bytes={total - 1000}-", total - 1000, total - 1),  # open-ended
        (f"bytes={total - 10}-{total + 1000}", total - 10, total - 1),  # end clamped
    ]
    for rng, a, b in cases:
        r = s3.get_object(Bucket=BUCKET, Key=MPU_KEY, Range=rng)
        expect_eq(status_of(r), 206, f"GET Range {rng} status")
        expect_eq(r.get("ContentRange"), f"bytes {a}-{b}/{total}", f"GET Range {rng} Content-Range")
        expect_eq(r["ContentLength"], b - a + 1, f"GET Range {rng} Content-Length")
        expect_bytes(read_body(r), obj[a:b + 1], f"GET Range {rng}")
    expect_client_error(
        lambda: s3.get_object(Bucket=BUCKET, Key=MPU_KEY, Range=f"bytes={total}-{total + 5}"),
        "InvalidRange", 416, "GET Range starting at the object size")
    return f"{len(cases)} ranges + InvalidRange"


@suite.check("mpu_get_part_number", needs=["mpu_complete_uses_new_etag"])
def mpu_get_part_number():
    parts = STATE["parts"]
    total = len(STATE["object"])
    off = 0
    for n in sorted(parts):
        body = parts[n]
        r = s3.get_object(Bucket=BUCKET, Key=MPU_KEY, PartNumber=n)
        expect_eq(status_of(r), 206, f"GET PartNumber={n} status")
        expect_eq(r.get("PartsCount"), len(parts), f"GET PartNumber={n} x-amz-mp-parts-count")
        expect_eq(r.get("ContentRange"), f"bytes {off}-{off + len(body) - 1}/{total}",
                  f"GET PartNumber={n} Content-Range")
        expect_bytes(read_body(r), body, f"GET PartNumber={n}")
        off += len(body)
    h = s3.head_object(Bucket=BUCKET, Key=MPU_KEY, PartNumber=2)
    expect_eq(h["ContentLength"], len(parts[2]), "HEAD PartNumber=2 Content-Length")
    expect_eq(h.get("PartsCount"), len(parts), "HEAD PartNumber=2 PartsCount")
    expect_client_error(lambda: s3.get_object(Bucket=BUCKET, Key=MPU_KEY, PartNumber=6),
                        "InvalidPartNumber", 416, "GET PartNumber=6 of a 5-part object")


@suite.check("mpu_head_etag", needs=["mpu_complete_uses_new_etag"])
def mpu_head():
    h = s3.head_object(Bucket=BUCKET, Key=MPU_KEY)
    expect_eq(h["ETag"], STATE["object_etag"], "HEAD ETag (md5-of-md5s-5 computed locally)")
    expect_eq(h["ContentLength"], len(STATE["object"]), "HEAD Content-Length")
    expect(h["ETag"].endswith('-5"'), f"HEAD ETag {h['ETag']} does not end in -5")


@suite.check("mpu_retried_complete_same_etag", needs=["mpu_complete_uses_new_etag"])
def mpu_retried_complete():
    uid = STATE["mpu_uid"]
    r = complete(MPU_KEY, uid, STATE["complete_parts"])
    expect_eq(r.get("ETag"), STATE["object_etag"],
              "second CompleteMultipartUpload of the already-completed upload: ETag")
    h = s3.head_object(Bucket=BUCKET, Key=MPU_KEY)
    expect_eq(h["ETag"], STATE["object_etag"], "HEAD ETag after the retried complete")
    expect_eq(h["ContentLength"], len(STATE["object"]), "Content-Length after the retried complete")


@suite.check("mpu_completed_upload_is_gone", needs=["mpu_complete_uses_new_etag"])
def mpu_completed_gone():
    uid = STATE["mpu_uid"]
    expect_client_error(lambda: s3.list_parts(Bucket=BUCKET, Key=MPU_KEY, UploadId=uid),
                        "NoSuchUpload", 404, "ListParts of a completed upload")
    expect_client_error(lambda: upload_part(MPU_KEY, uid, 1, b"late"),
                        "NoSuchUpload", 404, "UploadPart into a completed upload")
    ups = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mpu/").get("Uploads", [])
    expect_eq([u["UploadId"] for u in ups], [], "ListMultipartUploads after completion")


@suite.check("mpu_metadata_from_create", needs=["create_bucket"])
def mpu_metadata():
    key = "meta/report.csv"
    disp = 'attachment; filename="report.csv"'
    meta = {"color": "blue", "run-id": "42"}
    uid = new_upload(key, ContentType="text/csv", ContentDisposition=disp, Metadata=meta)
    p1 = random_bytes(MIN_PART, seed=31)
    p2 = b"tail,row\n" * 10
    e1 = upload_part(key, uid, 1, p1)
    e2 = upload_part(key, uid, 2, p2)
    complete(key, uid, [(1, e1), (2, e2)])
    for what, r in (("HEAD", s3.head_object(Bucket=BUCKET, Key=key)),
                    ("GET", s3.get_object(Bucket=BUCKET, Key=key))):
        expect_eq(r.get("ContentType"), "text/csv", f"{what} Content-Type set at create")
        expect_eq(r.get("ContentDisposition"), disp, f"{what} Content-Disposition set at create")
        expect_eq(r.get("Metadata"), meta, f"{what} x-amz-meta-* set at create")
        if what == "GET":
            expect_bytes(read_body(r), p1 + p2, "GET body")
    # CopyObject keeps the metadata by default (MetadataDirective COPY).
    s3.copy_object(Bucket=BUCKET, Key="meta/copy.csv", CopySource={"Bucket": BUCKET, "Key": key})
    h = s3.head_object(Bucket=BUCKET, Key="meta/copy.csv")
    expect_eq((h.get("ContentType"), h.get("Metadata")), ("text/csv", meta),
              "HEAD of a CopyObject copy: Content-Type and metadata")


# --------------------------------------------------------------------------------------------
# listings of uploads and parts


@suite.check("list_parts_paging", needs=["create_bucket"])
def list_parts_paging():
    key = "lp/paged.bin"
    uid = new_upload(key)
    try:
        bodies = {n: f"part {n} ".encode() * (n + 1) for n in range(1, 6)}
        etags = {n: upload_part(key, uid, n, bodies[n]) for n in bodies}
        pages = []
        marker = None
        for _ in range(10):
            kw = {"PartNumberMarker": marker} if marker is not None else {}
            r = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, MaxParts=2, **kw)
            nums = [p["PartNumber"] for p in r.get("Parts", [])]
            pages.append((nums, r.get("IsTruncated"), r.get("NextPartNumberMarker"),
                          r.get("MaxParts")))
            for p in r.get("Parts", []):
                expect_eq((p["ETag"], p["Size"]), (etags[p["PartNumber"]],
                                                   len(bodies[p["PartNumber"]])),
                          f"ListParts part {p['PartNumber']} (etag, size)")
            if not r.get("IsTruncated"):
                break
            marker = r.get("NextPartNumberMarker")
            expect(marker is not None, f"truncated ListParts page without NextPartNumberMarker: {r}")
        want = [([1, 2], True, 2, 2), ([3, 4], True, 4, 2), ([5], False, 5, 2)]
        expect_eq(pages, want, "ListParts pages (parts, IsTruncated, NextPartNumberMarker, MaxParts)")
        r = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid, PartNumberMarker=5)
        expect_eq([p["PartNumber"] for p in r.get("Parts", [])], [],
                  "ListParts after the last part number")
    finally:
        abort_quietly(key, uid)


@suite.check("get_object_attributes_parts", needs=["create_bucket"])
def get_object_attributes_parts():
    key = "attr/sha.bin"
    uid = new_upload(key, ChecksumAlgorithm="SHA256")
    bodies = [random_bytes(MIN_PART, 61), random_bytes(MIN_PART + 5, 62), b"tail"]
    try:
        parts = []
        for n, body in enumerate(bodies, 1):
            r = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=n, Body=body,
                               ChecksumAlgorithm="SHA256")
            parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
        done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid,
                                            MultipartUpload={"Parts": parts})
    except Exception:
        abort_quietly(key, uid)
        raise
    every = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
    r = s3.get_object_attributes(Bucket=BUCKET, Key=key, ObjectAttributes=every, MaxParts=2)
    expect_eq(r.get("ETag"), done["ETag"].strip('"'), "GetObjectAttributes ETag (unquoted)")
    expect_eq(r.get("ObjectSize"), sum(map(len, bodies)), "GetObjectAttributes ObjectSize")
    expect_eq(r.get("StorageClass"), "STANDARD", "GetObjectAttributes StorageClass")
    expect_eq(r.get("Checksum", {}).get("ChecksumType"), "COMPOSITE",
              "GetObjectAttributes Checksum type")
    op = r.get("ObjectParts", {})
    got = (op.get("TotalPartsCount"), op.get("IsTruncated"), op.get("NextPartNumberMarker"),
           [(p["PartNumber"], p["Size"], p.get("ChecksumSHA256")) for p in op.get("Parts", [])])
    want = (3, True, 2, [(n, len(bodies[n - 1]), parts[n - 1]["ChecksumSHA256"]) for n in (1, 2)])
    expect_eq(got, want, "GetObjectAttributes first page (count, truncated, next marker, parts)")
    r = s3.get_object_attributes(Bucket=BUCKET, Key=key, ObjectAttributes=["ObjectParts"],
                                 MaxParts=2, PartNumberMarker=2)
    op = r.get("ObjectParts", {})
    expect_eq(([p["PartNumber"] for p in op.get("Parts", [])], op.get("IsTruncated")),
              ([3], False), "GetObjectAttributes second page")
    s3.delete_object(Bucket=BUCKET, Key=key)


@suite.check("list_multipart_uploads", needs=["create_bucket"])
def list_multipart_uploads():
    created = []  # (key, upload id) in creation order
    keys = ["lmu/a/x", "lmu/a/x", "lmu/a/x", "lmu/a/y", "lmu/b/z", "lmu/c", "other/k"]
    try:
        for k in keys:
            created.append((k, new_upload(k)))
            time.sleep(0.01)  # distinct initiation times for uploads of the same key
        lmu = [c for c in created if c[0].startswith("lmu/")]
        # sorted by key, then by initiation time (creation order here)
        want_all = sorted(lmu, key=lambda c: (c[0].encode(), lmu.index(c)))

        r = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="lmu/")
        got = [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        expect_eq(got, want_all, "ListMultipartUploads Prefix=lmu/ (key, upload id) in order")
        expect_eq(r.get("IsTruncated"), False, "IsTruncated for the full listing")

        r = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="lmu/", Delimiter="/")
        got = [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        cps = [c["Prefix"] for c in r.get("CommonPrefixes", [])]
        expect_eq(got, [c for c in want_all if c[0] == "lmu/c"],
                  "ListMultipartUploads Prefix=lmu/ Delimiter=/ Uploads")
        expect_eq(cps, ["lmu/a/", "lmu/b/"], "ListMultipartUploads Delimiter=/ CommonPrefixes")

        # paging with max-uploads=2: the first page ends in the middle of the lmu/a/x uploads,
        # so the second page must continue via upload-id-marker within the same key.
        seen, km, um, pages = [], None, None, 0
        while True:
            kw = {}
            if km is not None:
                kw["KeyMarker"] = km
            if um is not None:
                kw["UploadIdMarker"] = um
            r = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="lmu/", MaxUploads=2, **kw)
            page = [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
            expect(len(page) <= 2, f"MaxUploads=2 page has {len(page)} uploads")
            seen += page
            pages += 1
            expect(pages <= 10, "ListMultipartUploads paging does not terminate")
            if not r.get("IsTruncated"):
                break
            km, um = r.get("NextKeyMarker"), r.get("NextUploadIdMarker")
            expect(km, f"truncated page without NextKeyMarker: {r}")
            expect_eq((km, um), page[-1], "NextKeyMarker/NextUploadIdMarker = last upload of page")
        expect_eq(seen, want_all, "uploads collected over MaxUploads=2 pages")
        expect_eq(pages, 3, "number of MaxUploads=2 pages for 6 uploads")

        # key-marker alone: uploads for keys strictly after it
        r = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="lmu/", KeyMarker="lmu/a/x")
        got = [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        expect_eq(got, [c for c in want_all if c[0] > "lmu/a/x"],
                  "ListMultipartUploads KeyMarker=lmu/a/x (no upload id marker)")

        # completing one upload of lmu/a/x leaves the other two listed
        k0, u0 = created[0]
        e = upload_part(k0, u0, 1, b"only part")
        complete(k0, u0, [(1, e)])
        r = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="lmu/a/x")
        got = [u["UploadId"] for u in r.get("Uploads", [])]
        expect_eq(got, [created[1][1], created[2][1]],
                  "uploads of lmu/a/x left after completing the first one")
        created.pop(0)
        return f"{len(want_all)} uploads, 3 pages"
    finally:
        for k, u in created:
            abort_quietly(k, u)


# --------------------------------------------------------------------------------------------
# state machine and errors


@suite.check("abort_then_no_such_upload", needs=["create_bucket"])
def abort_flow():
    key = "abort/me.bin"
    uid = new_upload(key)
    upload_part(key, uid, 1, b"some bytes")
    r = s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=uid)
    expect_eq(status_of(r), 204, "AbortMultipartUpload status")
    expect_client_error(lambda: s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid),
                        "NoSuchUpload", 404, "ListParts after abort")
    expect_client_error(lambda: upload_part(key, uid, 2, b"more"),
                        "NoSuchUpload", 404, "UploadPart after abort")
    expect_client_error(lambda: complete(key, uid, [(1, '"00"')]),
                        "NoSuchUpload", 404, "Complete after abort")
    expect_client_error(lambda: s3.head_object(Bucket=BUCKET, Key=key), "404", 404,
                        "HEAD of the key of an aborted upload")


@suite.check("err_invalid_part_order", needs=["create_bucket"])
def err_invalid_part_order():
    key = "err/order.bin"
    uid = new_upload(key)
    try:
        # both parts at the minimum size, so that whatever order the server checks in,
        # only the order can be wrong
        b1, b2 = random_bytes(MIN_PART, 41), random_bytes(MIN_PART, 43)
        e1, e2 = upload_part(key, uid, 1, b1), upload_part(key, uid, 2, b2)
        expect_client_error(lambda: complete(key, uid, [(2, e2), (1, e1)]),
                            "InvalidPartOrder", 400, "Complete with parts 2,1")
        expect_client_error(lambda: complete(key, uid, [(1, e1), (1, e1), (2, e2)]),
                            "InvalidPartOrder", 400, "Complete with part 1 listed twice")
        # a failed complete leaves the upload open: the corrected list succeeds
        r = complete(key, uid, [(1, e1), (2, e2)])
        expect_eq(r["ETag"], multipart_etag([b1, b2]), "Complete after the failed attempts")
        expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key=key)), b1 + b2, "GET")
    finally:
        abort_quietly(key, uid)


@suite.check("err_invalid_part", needs=["create_bucket"])
def err_invalid_part():
    key = "err/part.bin"
    uid = new_upload(key)
    try:
        b1 = random_bytes(MIN_PART, 42)
        e1 = upload_part(key, uid, 1, b1)
        e2 = upload_part(key, uid, 2, b"two")
        expect_client_error(lambda: complete(key, uid, [(1, e1), (2, e2), (3, e2)]),
                            "InvalidPart", 400, "Complete naming part 3 that was never uploaded")
        wrong = '"' + "0" * 32 + '"'
        expect_client_error(lambda: complete(key, uid, [(1, e1), (2, wrong)]),
                            "InvalidPart", 400, "Complete with a wrong ETag for part 2")
        # a failed complete leaves the upload open; completing a subset drops the rest
        r = complete(key, uid, [(1, e1)])
        expect_eq(r["ETag"], multipart_etag([b1]), "Complete of a subset (part 1 only)")
        expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key=key)), b1, "GET of the subset")
    finally:
        abort_quietly(key, uid)


@suite.check("err_entity_too_small", needs=["create_bucket"])
def err_entity_too_small():
    key = "err/small.bin"
    uid = new_upload(key)
    try:
        e1 = upload_part(key, uid, 1, b"a" * 1024)  # small parts upload fine ...
        e2 = upload_part(key, uid, 2, b"b" * 1024)
        expect_client_error(lambda: complete(key, uid, [(1, e1), (2, e2)]),
                            "EntityTooSmall", 400, "Complete with a 1 KiB non-last part")
        # ... and the upload is still open after the refusal
        r = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=uid)
        expect_eq([p["PartNumber"] for p in r.get("Parts", [])], [1, 2],
                  "ListParts after EntityTooSmall")
        # a single small part is fine: the last part has no minimum
        r = complete(key, uid, [(1, e1)])
        expect_eq(r["ETag"], multipart_etag([b"a" * 1024]), "Complete of a single 1 KiB part")
    finally:
        abort_quietly(key, uid)


@suite.check("err_invalid_part_number", needs=["create_bucket"])
def err_invalid_part_number():
    key = "err/number.bin"
    uid = new_upload(key)
    try:
        for n in (0, 10001):
            expect_client_error(lambda: upload_part(key, uid, n, b"x"), "InvalidArgument", 400,
                                f"UploadPart PartNumber={n}")
        e = upload_part(key, uid, 10000, b"x")
        expect_eq(e, f'"{md5_hex(b"x")}"', "UploadPart PartNumber=10000 is accepted")
    finally:
        abort_quietly(key, uid)


@suite.check("err_no_such_upload", needs=["create_bucket"])
def err_no_such_upload():
    fake = "NoSuchUploadId0000000000000000"
    expect_client_error(lambda: upload_part("err/x", fake, 1, b"x"), "NoSuchUpload", 404,
                        "UploadPart with an unknown upload id")
    expect_client_error(lambda: s3.list_parts(Bucket=BUCKET, Key="err/x", UploadId=fake),
                        "NoSuchUpload", 404, "ListParts with an unknown upload id")
    expect_client_error(lambda: complete("err/x", fake, [(1, '"00"')]),
                        "NoSuchUpload", 404, "Complete with an unknown upload id")
    expect_client_error(
        lambda: s3.abort_multipart_upload(Bucket=BUCKET, Key="err/x", UploadId=fake),
        "NoSuchUpload", 404, "Abort with an unknown upload id")


@suite.check("err_no_such_key", needs=["create_bucket"])
def err_no_such_key():
    expect_client_error(lambda: s3.get_object(Bucket=BUCKET, Key="missing/key"),
                        "NoSuchKey", 404, "GET of a missing key")
    expect_client_error(
        lambda: s3.copy_object(Bucket=BUCKET, Key="err/copy",
                               CopySource={"Bucket": BUCKET, "Key": "missing/key"}),
        "NoSuchKey", 404, "CopyObject from a missing key")
    uid = new_upload("err/copy-part")
    try:
        expect_client_error(
            lambda: s3.upload_part_copy(Bucket=BUCKET, Key="err/copy-part", UploadId=uid,
                                        PartNumber=1,
                                        CopySource={"Bucket": BUCKET, "Key": "missing/key"}),
            "NoSuchKey", 404, "UploadPartCopy from a missing key")
    finally:
        abort_quietly("err/copy-part", uid)


@suite.check("err_no_such_bucket")
def err_no_such_bucket():
    b = "no-such-bucket-zz"
    expect_client_error(lambda: s3.get_object(Bucket=b, Key="x"), "NoSuchBucket", 404,
                        "GET in a missing bucket")
    expect_client_error(lambda: s3.put_object(Bucket=b, Key="x", Body=b"x"), "NoSuchBucket", 404,
                        "PUT in a missing bucket")
    expect_client_error(lambda: s3.list_objects_v2(Bucket=b), "NoSuchBucket", 404,
                        "ListObjectsV2 of a missing bucket")
    expect_client_error(lambda: s3.create_multipart_upload(Bucket=b, Key="x"), "NoSuchBucket",
                        404, "CreateMultipartUpload in a missing bucket")
    expect_client_error(lambda: s3.head_bucket(Bucket=b), "404", 404, "HEAD of a missing bucket")


@suite.check("err_head_404", needs=["create_bucket"])
def err_head_404():
    e = expect_client_error(lambda: s3.head_object(Bucket=BUCKET, Key="missing/key"), "404", 404,
                            "HEAD of a missing key")
    return f"botocore message {e.response['Error'].get('Message')!r}"


@suite.check("err_bucket_not_empty", needs=["create_bucket"])
def err_bucket_not_empty():
    b = "s3-bucket-full"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    expect_client_error(lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", 409,
                        "DeleteBucket of a bucket holding an object")
    s3.head_bucket(Bucket=b)
    s3.delete_object(Bucket=b, Key="k")
    r = s3.delete_bucket(Bucket=b)
    expect_eq(status_of(r), 204, "DeleteBucket of the emptied bucket")
    expect_client_error(lambda: s3.head_bucket(Bucket=b), "404", 404, "HEAD of the deleted bucket")


@suite.check("err_bad_digest", needs=["create_bucket"])
def err_bad_digest():
    body = b"hello digest"
    wrong = md5_b64(b"something else")
    expect_client_error(lambda: put("err/md5", body, ContentMD5=wrong), "BadDigest", 400,
                        "PutObject with the Content-MD5 of other bytes")
    expect_client_error(lambda: s3.head_object(Bucket=BUCKET, Key="err/md5"), "404", 404,
                        "HEAD after the refused PutObject (nothing stored)")
    uid = new_upload("err/md5-part")
    try:
        expect_client_error(lambda: upload_part("err/md5-part", uid, 1, body, ContentMD5=wrong),
                            "BadDigest", 400, "UploadPart with a wrong Content-MD5")
        r = s3.list_parts(Bucket=BUCKET, Key="err/md5-part", UploadId=uid)
        expect_eq(r.get("Parts", []), [], "ListParts after the refused UploadPart")
    finally:
        abort_quietly("err/md5-part", uid)
    # a correct Content-MD5 is accepted
    r = put("err/md5-ok", body, ContentMD5=md5_b64(body))
    expect_eq(r["ETag"], f'"{md5_hex(body)}"', "PutObject with the right Content-MD5")
    # a wrong flexible checksum value is refused the same way
    expect_client_error(lambda: put("err/crc", body, ChecksumCRC32=crc32_b64(b"other")),
                        "BadDigest", 400, "PutObject with a wrong x-amz-checksum-crc32")


@suite.check("err_invalid_digest", needs=["create_bucket"])
def err_invalid_digest():
    for bad in ("not-base64!!", base64.b64encode(b"short").decode()):
        expect_client_error(lambda: put("err/md5-bad", b"x", ContentMD5=bad), "InvalidDigest", 400,
                            f"PutObject with malformed Content-MD5 {bad!r}")


@suite.check("put_if_none_match", needs=["create_bucket"])
def put_if_none_match():
    key = "cond/once.txt"
    r = put(key, b"first", IfNoneMatch="*")
    expect_eq(status_of(r), 200, "PutObject If-None-Match=* on a new key")
    expect_client_error(lambda: put(key, b"second", IfNoneMatch="*"), "PreconditionFailed", 412,
                        "PutObject If-None-Match=* on an existing key")
    expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key=key)), b"first",
                 "object after the refused conditional PUT")


# --------------------------------------------------------------------------------------------
# plain object operations


LIST_KEYS = [
    "lv2/a b.txt", "lv2/x+y.txt", "lv2/日本語.txt", "lv2/ünï cødé/ß.bin", "lv2/dir/one",
    "lv2/dir/two", "lv2/dir2/three", "lv2/pct%41.txt", "lv2/amp&eq=1.txt", "lv2/z",
]


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


@suite.check("list_setup_special_keys", needs=["create_bucket"])
def list_setup():
    for i, k in enumerate(LIST_KEYS):
        put(k, f"content of {k}".encode())
    for k in LIST_KEYS:  # every key round-trips through GET
        expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key=k)), f"content of {k}".encode(),
                     f"GET {k!r}")


@suite.check("list_objects_v2", needs=["list_setup_special_keys"])
def list_v2():
    want = utf8_sorted(LIST_KEYS)
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="lv2/")
    got = [c["Key"] for c in r.get("Contents", [])]
    expect_eq(got, want, "ListObjectsV2 Prefix=lv2/ keys (UTF-8 byte order)")
    expect_eq(r.get("KeyCount"), len(want), "ListObjectsV2 KeyCount")
    for c in r["Contents"]:
        body = f"content of {c['Key']}".encode()
        expect_eq((c["Size"], c["ETag"]), (len(body), f'"{md5_hex(body)}"'),
                  f"ListObjectsV2 entry {c['Key']!r} (Size, ETag)")

    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="lv2/", Delimiter="/")
    files = [c["Key"] for c in r.get("Contents", [])]
    cps = [c["Prefix"] for c in r.get("CommonPrefixes", [])]
    expect_eq(files, [k for k in want if "/" not in k[4:]], "ListObjectsV2 Delimiter=/ Contents")
    expect_eq(cps, utf8_sorted({k[:4 + k[4:].index("/") + 1] for k in want if "/" in k[4:]}),
              "ListObjectsV2 Delimiter=/ CommonPrefixes")

    for delim, full in ((None, want), ("/", utf8_sorted(files + cps))):
        seen, token, pages = [], None, 0
        while True:
            kw = {"ContinuationToken": token} if token else {}
            if delim:
                kw["Delimiter"] = delim
            r = s3.list_objects_v2(Bucket=BUCKET, Prefix="lv2/", MaxKeys=3, **kw)
            page = [c["Key"] for c in r.get("Contents", [])] + \
                   [c["Prefix"] for c in r.get("CommonPrefixes", [])]
            expect(len(page) <= 3, f"MaxKeys=3 page with {len(page)} entries: {page}")
            expect_eq(r.get("KeyCount"), len(page), f"KeyCount of page {pages + 1}")
            seen += page
            pages += 1
            expect(pages <= 20, "ListObjectsV2 paging does not terminate")
            if not r.get("IsTruncated"):
                break
            token = r.get("NextContinuationToken")
            expect(token, f"truncated ListObjectsV2 page without NextContinuationToken: {r}")
        expect_eq(utf8_sorted(seen), full, f"ListObjectsV2 MaxKeys=3 pages (delimiter={delim!r})")
        expect_eq(len(seen), len(full), "entries seen twice across pages")

    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="lv2/", StartAfter="lv2/dir/one")
    expect_eq([c["Key"] for c in r.get("Contents", [])],
              [k for k in want if k.encode() > b"lv2/dir/one"], "ListObjectsV2 StartAfter")


@suite.check("list_objects_v1", needs=["list_setup_special_keys"])
def list_v1():
    want = utf8_sorted(LIST_KEYS)
    r = s3.list_objects(Bucket=BUCKET, Prefix="lv2/")
    expect_eq([c["Key"] for c in r.get("Contents", [])], want, "ListObjects (v1) Prefix=lv2/")
    seen, marker, pages = [], None, 0
    while True:
        kw = {"Marker": marker} if marker else {}
        r = s3.list_objects(Bucket=BUCKET, Prefix="lv2/", MaxKeys=4, **kw)
        page = [c["Key"] for c in r.get("Contents", [])]
        seen += page
        pages += 1
        expect(pages <= 20, "ListObjects paging does not terminate")
        if not r.get("IsTruncated"):
            break
        marker = r.get("NextMarker") or page[-1]
    expect_eq(seen, want, "ListObjects (v1) MaxKeys=4 pages via Marker")
    r = s3.list_objects(Bucket=BUCKET, Prefix="lv2/", Delimiter="/", MaxKeys=2)
    expect(r.get("IsTruncated") is True, "ListObjects Delimiter=/ MaxKeys=2 not truncated")
    expect(r.get("NextMarker"), "ListObjects with a delimiter and truncated: NextMarker missing")


@suite.check("delete_objects", needs=["create_bucket"])
def delete_objects():
    keys = ["del/1", "del/2 two", "del/3+three"]
    for k in keys:
        put(k, b"x")
    r = s3.delete_objects(Bucket=BUCKET, Delete={
        "Objects": [{"Key": k} for k in keys + ["del/never-existed"]], "Quiet": False})
    expect_eq(sorted(d["Key"] for d in r.get("Deleted", [])), sorted(keys + ["del/never-existed"]),
              "DeleteObjects Deleted (a missing key counts as deleted)")
    expect_eq(r.get("Errors", []), [], "DeleteObjects Errors")
    left = s3.list_objects_v2(Bucket=BUCKET, Prefix="del/").get("Contents", [])
    expect_eq(left, [], "objects left after DeleteObjects")
    r = s3.delete_object(Bucket=BUCKET, Key="del/never-existed")
    expect_eq(status_of(r), 204, "DeleteObject of a missing key")


@suite.check("copy_object", needs=["mpu_concurrent_out_of_order_parts"])
def copy_object():
    src = STATE["src"]
    r = s3.copy_object(Bucket=BUCKET2, Key="copy/dst.bin",
                       CopySource={"Bucket": BUCKET, "Key": SRC_KEY})
    expect_eq(r["CopyObjectResult"]["ETag"], f'"{md5_hex(src)}"', "CopyObject ETag")
    expect_bytes(read_body(s3.get_object(Bucket=BUCKET2, Key="copy/dst.bin")), src,
                 "GET of the copy (other bucket)")
    r = s3.copy_object(Bucket=BUCKET, Key="copy/a b+ü.bin", CopySource=f"{BUCKET}/{SRC_KEY}")
    expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key="copy/a b+ü.bin")), src,
                 "GET of a copy whose key needs encoding")


@suite.check("copy_object_of_multipart_source", needs=["mpu_complete_uses_new_etag"])
def copy_object_multipart():
    obj = STATE["object"]
    r = s3.copy_object(Bucket=BUCKET, Key="copy/of-mpu.bin",
                       CopySource={"Bucket": BUCKET, "Key": MPU_KEY})
    expect_eq(r["CopyObjectResult"]["ETag"], f'"{md5_hex(obj)}"',
              "CopyObject of a multipart object: S3 writes a single-part object, ETag = md5")
    expect_bytes(read_body(s3.get_object(Bucket=BUCKET, Key="copy/of-mpu.bin")), obj,
                 "GET of the copy of the multipart object")


@suite.check("bucket_info_calls", needs=["list_setup_special_keys"])
def bucket_info():
    loc = s3.get_bucket_location(Bucket=BUCKET)
    expect(loc.get("LocationConstraint") in (None, "", "us-east-1"),
           f"GetBucketLocation: expected empty/us-east-1, got {loc.get('LocationConstraint')!r}")
    ver = s3.get_bucket_versioning(Bucket=BUCKET)
    expect("Status" not in ver, f"GetBucketVersioning of a never-versioned bucket: Status={ver.get('Status')!r}")
    r = s3.list_object_versions(Bucket=BUCKET, Prefix="lv2/")
    vers = r.get("Versions", [])
    expect_eq([v["Key"] for v in vers], utf8_sorted(LIST_KEYS), "ListObjectVersions keys")
    for v in vers:
        expect_eq((v.get("VersionId"), v.get("IsLatest")), ("null", True),
                  f"ListObjectVersions {v['Key']!r} (VersionId, IsLatest) in an unversioned bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    expect(BUCKET in names and BUCKET2 in names, f"ListBuckets: {names}")


# --------------------------------------------------------------------------------------------
# flexible checksums on single PUTs


def local_checksum(alg, data):
    if alg == "CRC32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    elif alg == "CRC32C":
        from awscrt import checksums
        raw = checksums.crc32c(data).to_bytes(4, "big")
    elif alg == "CRC64NVME":
        from awscrt import checksums
        raw = checksums.crc64nvme(data).to_bytes(8, "big")
    elif alg == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif alg == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(alg)
    return base64.b64encode(raw).decode()


CHECKSUM_ALGS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


@suite.check("put_object_checksums", needs=["create_bucket"])
def put_object_checksums():
    notes = []
    for i, alg in enumerate(CHECKSUM_ALGS):
        data = random_bytes(MiB + 3 + i, seed=500 + i)
        key = f"ck/put-{alg}.bin"
        want = local_checksum(alg, data)
        r = put(key, data, ChecksumAlgorithm=alg)
        echo = r.get(f"Checksum{alg}")
        if echo is not None:
            expect_eq(echo, want, f"PutObject ChecksumAlgorithm={alg}: echoed checksum")
        g = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        expect_bytes(read_body(g), data, f"GET ChecksumMode=ENABLED of {key}")
        got = g.get(f"Checksum{alg}")
        if got is not None:
            expect_eq(got, want, f"GET ChecksumMode=ENABLED Checksum{alg}")
        notes.append(f"{alg}:{'echo' if echo else 'no-echo'}/{'get' if got else 'no-get'}")
    return " ".join(notes)


# --------------------------------------------------------------------------------------------
# managed transfers (s3transfer) on a 64 MiB file


BIG = 64 * MiB
CHUNK = 8 * MiB


def transfer_config():
    return TransferConfig(multipart_threshold=CHUNK, multipart_chunksize=CHUNK, max_concurrency=8,
                          preferred_transfer_client="classic")


def big_file():
    path = STATE.get("big_path")
    if path is None:
        path = os.path.join(TMP, "big.bin")
        write_random_file(path, BIG, seed=64)
        STATE["big_path"] = path
        STATE["big_etag"] = multipart_etag_of_file(path, CHUNK)
    return path


def transfer_roundtrip(tag, extra):
    src = big_file()
    key = f"xfer/{tag}.bin"
    s3.upload_file(src, BUCKET, key, ExtraArgs=extra or None, Config=transfer_config())
    h = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    expect_eq(h["ContentLength"], BIG, f"HEAD {key} Content-Length")
    expect_eq(h["ETag"], STATE["big_etag"], f"HEAD {key} ETag (8 parts of 8 MiB)")
    dst = os.path.join(TMP, f"down-{tag}.bin")
    s3.download_file(BUCKET, key, dst, Config=transfer_config())
    expect_file_equal(dst, src, f"download_file of {key}")
    os.unlink(dst)
    g = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    h2 = hashlib.md5()
    n = 0
    for block in iter(lambda: g["Body"].read(1 << 20), b""):
        h2.update(block)
        n += len(block)
    with open(src, "rb") as f:
        want = hashlib.md5(f.read()).hexdigest()
    expect_eq((n, h2.hexdigest()), (BIG, want), f"get_object(ChecksumMode=ENABLED) of {key}")
    cks = {k: v for k, v in g.items() if k.startswith("Checksum")}
    s3.delete_object(Bucket=BUCKET, Key=key)
    return f"response checksums {cks or 'none'}"


@suite.check("transfer_default_checksum", needs=["create_bucket"])
def transfer_default():
    if ARGS.skip_large:
        return "skipped (--skip-large)"
    return transfer_roundtrip("default", {})


for _alg in ("CRC32C", "SHA256", "CRC64NVME"):
    def _make(alg):
        def run():
            if ARGS.skip_large:
                return "skipped (--skip-large)"
            return transfer_roundtrip(alg.lower(), {"ChecksumAlgorithm": alg})
        return run
    suite.check(f"transfer_checksum_{_alg.lower()}", needs=["create_bucket"])(_make(_alg))


# --------------------------------------------------------------------------------------------
# authentication


@suite.check("auth_wrong_secret_refused", needs=["create_bucket"])
def auth_wrong_secret():
    if not ARGS.auth:
        return "not applicable (server runs without keys)"
    bad = make_client(secret_key=ARGS.secret_key[:-4] + "XXXX")
    expect_client_error(lambda: bad.list_buckets(), "SignatureDoesNotMatch", 403,
                        "ListBuckets signed with a wrong secret")
    expect_client_error(lambda: bad.put_object(Bucket=BUCKET, Key="auth/bad", Body=b"x" * 1000),
                        "SignatureDoesNotMatch", 403, "PutObject signed with a wrong secret")
    expect_client_error(lambda: bad.create_multipart_upload(Bucket=BUCKET, Key="auth/bad"),
                        "SignatureDoesNotMatch", 403,
                        "CreateMultipartUpload signed with a wrong secret")
    expect_client_error(lambda: s3.head_object(Bucket=BUCKET, Key="auth/bad"), "404", 404,
                        "HEAD (good client) of the key a refused PUT named")
    unknown = make_client(access_key="AKIAUNKNOWNUNKNOWN00")
    expect_client_error(lambda: unknown.list_objects_v2(Bucket=BUCKET), "InvalidAccessKeyId", 403,
                        "ListObjectsV2 with an unknown access key")
    ups = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="auth/").get("Uploads", [])
    expect_eq(ups, [], "uploads created by refused requests")


# --------------------------------------------------------------------------------------------
# what the server holds (mock-server's /_mock/state; skipped against other servers)


@suite.check("server_state_consistent", needs=["mpu_complete_uses_new_etag"])
def state_consistent():
    state = admin_get(ARGS.endpoint, "/_mock/state", ARGS.ca_bundle)
    if state is None:
        return "not applicable (no /_mock/state)"
    expect_no_orphans(state, "after the whole run (replaced parts, aborts, failed completes)")
    objs = {o["key"]: o for b in state.get("buckets", []) if b.get("name") == BUCKET
            for o in b.get("objects", [])}
    o = objs.get(MPU_KEY)
    expect(o is not None, f"/_mock/state does not list {MPU_KEY}")
    expect_eq((o.get("size"), o.get("parts"), o.get("etag", "").strip('"')),
              (len(STATE["object"]), 5, STATE["object_etag"].strip('"')),
              f"/_mock/state entry of {MPU_KEY} (size, parts, etag)")
    return f"{state.get('blob_count')} blobs, {state.get('blob_bytes')} bytes, no orphans"


@suite.check("cleanup_leaves_nothing", needs=["create_bucket"])
def cleanup():
    for b in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=b):
            for u in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=b, Key=u["Key"], UploadId=u["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
            keys = [{"Key": c["Key"]} for c in page.get("Contents", [])]
            if keys:
                r = s3.delete_objects(Bucket=b, Delete={"Objects": keys, "Quiet": True})
                expect_eq(r.get("Errors", []), [], f"DeleteObjects errors in {b}")
        r = s3.delete_bucket(Bucket=b)
        expect_eq(status_of(r), 204, f"DeleteBucket {b}")
    expect_eq(s3.list_buckets()["Buckets"], [], "buckets left after cleanup")
    state = admin_get(ARGS.endpoint, "/_mock/state", ARGS.ca_bundle)
    if state is None:
        return "state not checked (no /_mock/state)"
    problems = state_problems(state)
    expect(not problems, f"/_mock/state after deleting everything: {'; '.join(problems)}")
    return "no objects, uploads or blobs left"


# --------------------------------------------------------------------------------------------


def main():
    try:
        rc = suite.run(ARGS.only)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
