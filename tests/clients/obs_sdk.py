#!/usr/bin/env python3
"""Real-client checks: the Huawei OBS SDK (esdk-obs-python 3.26.6, `ObsClient`) against the mock.

Usage: obs_sdk.py --endpoint http://127.0.0.1:PORT | http://localhost:PORT
                  [--access-key AK --secret-key SK [--auth]]

With an IP endpoint the SDK forces path-style addressing and AWS SigV2 with x-amz- headers. With
a host-name endpoint it uses virtual-host addressing (`obs-bucket.localhost:PORT`), first sends
the unsigned `HEAD /?apiversion` probe and, if the answer carries `x-obs-api: 3.0`, signs the OBS
way with x-obs- headers (PROTOCOLS.md §3). `<bucket>.localhost` must resolve to 127.0.0.1: when it
does not, this script adds one `/etc/hosts` line per bucket name it uses if that file is writable,
and otherwise falls back to `path_style=True` and says so in its output.

The flow follows the OBS multipart seed (initiateMultipartUpload with contentType, uploadPart from
a file with isFile/partSize/offset, completeMultipartUpload with CompletePart, `status < 300` and
`body.etag`), plus listParts, listMultipartUploads, copyPart, download and abort.
"""

import os
import shutil
import socket
import sys
import tempfile
from urllib.parse import urlparse

from obs import (
    CompleteMultipartUploadRequest, CompletePart, GetObjectHeader, ListMultipartUploadsRequest,
    ObsClient,
)

from checklib import (
    Suite, admin_get, base_args, expect, expect_bytes, expect_eq, fail, md5_hex,
    multipart_etag, state_problems, write_random_file,
)

MiB = 1024 * 1024
PART = 5 * MiB  # at or above every dialect's minimum part size
BUCKET = "obs-bucket"
KEY = "big/object.bin"
SRC_KEY = "src.txt"
HOSTS_TAG = "# multipart-harness tests/clients (OBS virtual-host checks)"

p = base_args(__doc__)
ARGS = p.parse_args()
ARGS.access_key = ARGS.access_key or "AKIAIOSFODNN7EXAMPLE"
ARGS.secret_key = ARGS.secret_key or "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = urlparse(ARGS.endpoint).hostname
IS_IP = all(part.isdigit() for part in HOST.split("."))
MODE = "ip" if IS_IP else "hostname"
suite = Suite(ARGS.suite_name or f"obs_sdk[{MODE}{'+auth' if ARGS.auth else ''}]")
TMP = tempfile.mkdtemp(prefix="obs_sdk-")
STATE = {}
NOTES = []


def resolves(name):
    try:
        return socket.gethostbyname(name) == "127.0.0.1"
    except OSError:
        return False


def ensure_virtual_host_names(buckets):
    """Make `<bucket>.<host>` resolve to 127.0.0.1; return False when that is impossible."""
    missing = [f"{b}.{HOST}" for b in buckets if not resolves(f"{b}.{HOST}")]
    if not missing:
        return True
    if not os.access("/etc/hosts", os.W_OK):
        return False
    with open("/etc/hosts", "a") as f:
        for name in missing:
            f.write(f"127.0.0.1 {name} {HOSTS_TAG}\n")
    return all(resolves(n) for n in missing)


PATH_STYLE = False
if not IS_IP and not ensure_virtual_host_names([BUCKET]):
    PATH_STYLE = True
    NOTES.append(f"{BUCKET}.{HOST} does not resolve and /etc/hosts is not writable: "
                 "fell back to path_style=True (virtual-host addressing NOT exercised)")


def make_client(access_key=None, secret_key=None):
    kw = {"path_style": True} if PATH_STYLE else {}
    return ObsClient(access_key_id=access_key or ARGS.access_key,
                     secret_access_key=secret_key or ARGS.secret_key,
                     server=ARGS.endpoint, max_retry_count=1, timeout=60, **kw)


obs = make_client()


def ok(resp, what):
    """The SDK never raises on HTTP errors: check status like the seed does."""
    if resp.status >= 300:
        fail(f"{what}: HTTP {resp.status} errorCode={resp.errorCode} "
             f"errorMessage={resp.errorMessage} requestId={resp.requestId}")
    return resp


def expect_error(resp, status, code, what):
    if resp.status < 300:
        fail(f"{what}: expected HTTP {status} {code}, but it succeeded (HTTP {resp.status})")
    got = (resp.status, resp.errorCode)
    if got != (status, code):
        fail(f"{what}: expected HTTP {status} {code}, got HTTP {resp.status} {resp.errorCode}: "
             f"{resp.errorMessage}")


@suite.check("create_bucket")
def create_bucket():
    ok(obs.createBucket(BUCKET), f"createBucket({BUCKET})")
    ok(obs.headBucket(BUCKET), f"headBucket({BUCKET})")
    return "; ".join(NOTES) if NOTES else None


@suite.check("put_copy_source", needs=["create_bucket"])
def put_src():
    src = b"hello source object " * 10
    r = ok(obs.putContent(BUCKET, SRC_KEY, content=src), "putContent(src.txt)")
    expect_eq(r.body.etag, f'"{md5_hex(src)}"', "putContent body.etag")
    STATE["src"] = src


@suite.check("negotiated_signature", needs=["put_copy_source"])
def negotiated():
    if IS_IP or PATH_STYLE:
        return "not applicable (path-style: the SDK signs AWS SigV2 without a probe)"
    cached = obs.cache.get(BUCKET) or {}
    expect_eq(cached.get("signature"), "obs",
              "signature the SDK negotiated via HEAD /?apiversion for the bucket "
              "(the probe answer needs x-obs-api: 3.0 for native OBS signing)")
    return "HEAD /?apiversion probe -> native OBS signing with x-obs- headers"


@suite.check("initiate_with_content_type", needs=["create_bucket"])
def initiate():
    r = ok(obs.initiateMultipartUpload(BUCKET, KEY, contentType="text/plain"),
           "initiateMultipartUpload")
    uid = r.body["uploadId"]
    expect(uid, f"initiateMultipartUpload: no uploadId in the body {r.body}")
    expect_eq((r.body.bucketName, r.body.objectKey), (BUCKET, KEY),
              "initiateMultipartUpload body (bucketName, objectKey)")
    STATE["uid"] = uid


@suite.check("upload_parts_from_file", needs=["initiate_with_content_type"])
def upload_parts():
    # the seed's loop: parts of partSize read from a file at increasing offsets
    path = os.path.join(TMP, "file.bin")
    write_random_file(path, 3 * PART, seed=3)
    with open(path, "rb") as f:
        data = f.read()
    uid, part_size, offset, part_num, etags = STATE["uid"], PART, 0, 1, {}
    content_length = os.path.getsize(path)
    while offset < content_length:
        part_size = min(part_size, content_length - offset)
        r = ok(obs.uploadPart(BUCKET, KEY, part_num, uid, path, True, part_size, offset),
               f"uploadPart {part_num} (isFile, partSize={part_size}, offset={offset})")
        expect_eq(r.body.etag, f'"{md5_hex(data[offset:offset + part_size])}"',
                  f"uploadPart {part_num} body.etag")
        etags[part_num] = r.body.etag
        offset += part_size
        part_num += 1
    STATE.update(path=path, data=data, etags=etags,
                 parts={n: data[(n - 1) * PART:n * PART] for n in etags})
    return f"{len(etags)} parts from a {content_length}-byte file"


@suite.check("copy_part", needs=["upload_parts_from_file", "put_copy_source"])
def copy_part():
    r = ok(obs.copyPart(BUCKET, KEY, 4, STATE["uid"], f"{BUCKET}/{SRC_KEY}",
                        copySourceRange="0-99"), "copyPart 4 (copySourceRange=0-99)")
    want = STATE["src"][:100]
    expect_eq(r.body.etag, f'"{md5_hex(want)}"', "copyPart body.etag")
    expect(r.body.lastModified, "copyPart body.lastModified is empty")
    STATE["etags"][4] = r.body.etag
    STATE["parts"][4] = want


@suite.check("list_parts", needs=["copy_part"])
def list_parts():
    uid, etags, parts = STATE["uid"], STATE["etags"], STATE["parts"]
    r = ok(obs.listParts(BUCKET, KEY, uid), "listParts")
    got = [(p.partNumber, p.etag, p.size) for p in r.body.parts]
    want = [(n, etags[n], len(parts[n])) for n in sorted(parts)]
    expect_eq(got, want, "listParts (partNumber, etag, size)")
    expect_eq(r.body.isTruncated, False, "listParts isTruncated")
    r = ok(obs.listParts(BUCKET, KEY, uid, maxParts=2), "listParts maxParts=2")
    expect_eq(([p.partNumber for p in r.body.parts], r.body.isTruncated,
               r.body.nextPartNumberMarker), ([1, 2], True, 2),
              "listParts maxParts=2 (parts, isTruncated, nextPartNumberMarker)")
    r = ok(obs.listParts(BUCKET, KEY, uid, maxParts=2, partNumberMarker=2),
           "listParts maxParts=2 partNumberMarker=2")
    expect_eq([p.partNumber for p in r.body.parts], [3, 4], "listParts second page")


@suite.check("list_multipart_uploads", needs=["initiate_with_content_type"])
def list_uploads():
    r = ok(obs.listMultipartUploads(BUCKET, ListMultipartUploadsRequest(prefix="big/")),
           "listMultipartUploads(prefix=big/)")
    got = [(u.key, u.uploadId) for u in (r.body.upload or [])]
    expect_eq(got, [(KEY, STATE["uid"])], "listMultipartUploads (key, uploadId)")
    r = ok(obs.listMultipartUploads(BUCKET, ListMultipartUploadsRequest(prefix="nothing/")),
           "listMultipartUploads(prefix=nothing/)")
    expect_eq(list(r.body.upload or []), [], "listMultipartUploads of an unused prefix")


@suite.check("complete_wrong_etag_invalid_part", needs=["list_parts"])
def complete_wrong_etag():
    etags = STATE["etags"]
    parts = [CompletePart(n, etags[n]) for n in sorted(etags)]
    parts[1] = CompletePart(2, '"' + "0" * 32 + '"')
    r = obs.completeMultipartUpload(BUCKET, KEY, STATE["uid"],
                                    CompleteMultipartUploadRequest(parts=parts))
    expect_error(r, 400, "InvalidPart", "completeMultipartUpload with a wrong ETag for part 2")


@suite.check("complete", needs=["complete_wrong_etag_invalid_part"])
def complete():
    etags, parts = STATE["etags"], STATE["parts"]
    completes = [CompletePart(i, etags[i]) for i in range(1, len(etags) + 1)]
    resp = obs.completeMultipartUpload(BUCKET, KEY, STATE["uid"],
                                       CompleteMultipartUploadRequest(parts=completes))
    ok(resp, "completeMultipartUpload")
    want = multipart_etag([parts[n] for n in sorted(parts)])
    expect_eq(resp.body.etag if resp.body else None, want,
              "completeMultipartUpload body.etag (md5 of part md5s, -4)")
    expect(resp.requestId, "completeMultipartUpload: empty requestId")
    expect_eq((resp.body.key, resp.body.bucket), (KEY, BUCKET), "complete body (key, bucket)")
    STATE["object"] = b"".join(parts[n] for n in sorted(parts))
    STATE["etag"] = want
    return f"etag {resp.body.etag} requestId {resp.requestId}"


@suite.check("download_compare", needs=["complete"])
def download():
    obj = STATE["object"]
    r = ok(obs.getObject(BUCKET, KEY, loadStreamInMemory=True), "getObject (in memory)")
    expect_bytes(r.body.buffer, obj, "getObject body.buffer")
    path = os.path.join(TMP, "down.bin")
    ok(obs.getObject(BUCKET, KEY, downloadPath=path), "getObject(downloadPath)")
    with open(path, "rb") as f:
        expect_bytes(f.read(), obj, "getObject downloadPath file")
    r = ok(obs.getObject(BUCKET, KEY, loadStreamInMemory=True,
                         headers=GetObjectHeader(range=f"{PART - 5}-{PART + 4}")),
           "getObject range across parts 1/2")
    expect_eq(r.status, 206, "ranged getObject status")
    expect_bytes(r.body.buffer, obj[PART - 5:PART + 5], "ranged getObject body")


@suite.check("object_metadata", needs=["complete"])
def metadata():
    r = ok(obs.getObjectMetadata(BUCKET, KEY), "getObjectMetadata")
    expect_eq(r.body.etag, STATE["etag"], "getObjectMetadata etag")
    expect_eq(int(r.body.contentLength), len(STATE["object"]), "getObjectMetadata contentLength")
    expect_eq(r.body.contentType, "text/plain", "contentType given at initiate")
    r = ok(obs.listObjects(BUCKET, prefix="big/"), "listObjects(prefix=big/)")
    expect_eq([(o.key, o.etag, o.size) for o in r.body.contents],
              [(KEY, STATE["etag"], len(STATE["object"]))], "listObjects (key, etag, size)")


@suite.check("completed_upload_is_gone", needs=["complete"])
def completed_gone():
    r = obs.listParts(BUCKET, KEY, STATE["uid"])
    expect_error(r, 404, "NoSuchUpload", "listParts after completion")


@suite.check("abort_then_list_parts_fails", needs=["create_bucket"])
def abort():
    key = "aborted.bin"
    r = ok(obs.initiateMultipartUpload(BUCKET, key), "initiateMultipartUpload (second upload)")
    uid = r.body["uploadId"]
    ok(obs.uploadPart(BUCKET, key, 1, uid, object=b"in-memory bytes part"),
       "uploadPart from bytes")
    r = obs.abortMultipartUpload(BUCKET, key, uid)
    ok(r, "abortMultipartUpload")
    expect_eq(r.status, 204, "abortMultipartUpload status")
    expect_error(obs.listParts(BUCKET, key, uid), 404, "NoSuchUpload", "listParts after abort")
    expect_error(obs.uploadPart(BUCKET, key, 2, uid, object=b"late"), 404, "NoSuchUpload",
                 "uploadPart after abort")


@suite.check("errors", needs=["create_bucket"])
def errors():
    expect_error(obs.uploadPart(BUCKET, "x.bin", 1, "nonexistent-upload-id", object=b"x"),
                 404, "NoSuchUpload", "uploadPart with an unknown uploadId")
    expect_error(obs.getObject(BUCKET, "missing.bin", loadStreamInMemory=True), 404, "NoSuchKey",
                 "getObject of a missing key")


@suite.check("auth_wrong_secret_refused", needs=["create_bucket"])
def auth_wrong():
    if not ARGS.auth:
        return "not applicable (server runs without keys)"
    bad = make_client(secret_key=ARGS.secret_key[:-4] + "XXXX")
    try:
        expect_error(bad.initiateMultipartUpload(BUCKET, "auth/bad.bin"), 403,
                     "SignatureDoesNotMatch", "initiateMultipartUpload with a wrong secret")
        expect_error(bad.putContent(BUCKET, "auth/bad.bin", content=b"x"), 403,
                     "SignatureDoesNotMatch", "putContent with a wrong secret")
    finally:
        bad.close()
    unknown = make_client(access_key="AKIAUNKNOWNUNKNOWN00")
    try:
        expect_error(unknown.listObjects(BUCKET), 403, "InvalidAccessKeyId",
                     "listObjects with an unknown access key")
    finally:
        unknown.close()
    r = ok(obs.listMultipartUploads(BUCKET, ListMultipartUploadsRequest(prefix="auth/")),
           "listMultipartUploads(prefix=auth/)")
    expect_eq(list(r.body.upload or []), [], "uploads created by refused requests")


@suite.check("delete_object_and_bucket", needs=["complete"])
def delete():
    for k in (KEY, SRC_KEY):
        r = ok(obs.deleteObject(BUCKET, k), f"deleteObject({k})")
        expect_eq(r.status, 204, f"deleteObject({k}) status")
    r = ok(obs.listObjects(BUCKET), "listObjects after deletes")
    expect_eq(list(r.body.contents or []), [], "objects left")
    ok(obs.deleteBucket(BUCKET), "deleteBucket")


@suite.check("server_state_clean", needs=["delete_object_and_bucket"])
def state_clean():
    state = admin_get(ARGS.endpoint, "/_mock/state")
    if state is None:
        return "not applicable (no /_mock/state)"
    problems = state_problems(state)
    expect(not problems, f"/_mock/state after deleting everything: {'; '.join(problems)}")
    return "no objects, uploads or blobs left"


try:
    rc = suite.run(ARGS.only)
finally:
    obs.close()
    shutil.rmtree(TMP, ignore_errors=True)
sys.exit(rc)
