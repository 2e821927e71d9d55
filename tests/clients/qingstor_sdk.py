#!/usr/bin/env python3
"""Real-client checks: the QingStor SDK (qingstor-sdk 2.6.0) against the mock server.

Usage: qingstor_sdk.py --endpoint http://127.0.0.1:PORT --zone ZONE [--via-proxy]
                       [--access-key AK --secret-key SK [--auth]]

The SDK always prepends a non-empty zone to the host (`pek3b.127.0.0.1:PORT`, which does not
resolve). With `--zone ""` it talks to 127.0.0.1 directly; with `--zone pek3b --via-proxy` the
script sets HTTP_PROXY to the server itself, so requests arrive in absolute form
(`PUT http://pek3b.127.0.0.1:PORT/qs-bucket/key`) with `Host: pek3b.127.0.0.1:PORT`
(PROTOCOLS.md §5.3). The flow follows the QingStor upload_multipart example: initiate,
upload_multipart with part_number=str(i) from 0 (each 201), list_multipart, complete (201),
get_object compared byte for byte, abort (204).
"""

import os
import shutil
import sys
import tempfile
from urllib.parse import urlparse

from checklib import (
    Suite, admin_get, base_args, expect, expect_bytes, expect_eq, fail, md5_hex, state_problems,
    write_random_file,
)

p = base_args(__doc__)
p.add_argument("--zone", required=True, help='zone label; "" for none')
p.add_argument("--via-proxy", action="store_true",
               help="send every request through HTTP_PROXY=<endpoint> (absolute-form targets)")
ARGS = p.parse_args()
ARGS.access_key = ARGS.access_key or "QYACCESSKEYIDEXAMPLE"
ARGS.secret_key = ARGS.secret_key or "SECRETACCESSKEY0EXAMPLE0QINGSTOR0SECRET"

if ARGS.via_proxy:
    # requests (trust_env) picks these up; nothing may bypass the proxy
    for var in ("NO_PROXY", "no_proxy"):
        os.environ.pop(var, None)
    os.environ["HTTP_PROXY"] = os.environ["http_proxy"] = ARGS.endpoint
else:
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(var, None)

from qingstor.sdk.config import Config  # noqa: E402  (after the proxy environment is set)
from qingstor.sdk.service.qingstor import QingStor  # noqa: E402

MiB = 1024 * 1024
CHUNK = 5 * MiB  # the example's chunk size; above QingStor's 4 MiB minimum
BUCKET = "qs-bucket"
KEY = "big/your_file_multi_uploaded.zip"
SRC_KEY = "src.txt"
URL = urlparse(ARGS.endpoint)
zone_tag = f"zone={ARGS.zone or 'none'}{'+proxy' if ARGS.via_proxy else ''}"
suite = Suite(ARGS.suite_name or f"qingstor_sdk[{zone_tag}{'+auth' if ARGS.auth else ''}]")
TMP = tempfile.mkdtemp(prefix="qingstor_sdk-")
STATE = {}


def make_bucket(access_key=None, secret_key=None):
    cfg = Config(access_key or ARGS.access_key, secret_key or ARGS.secret_key)
    cfg.host = URL.hostname
    cfg.port = URL.port
    cfg.protocol = URL.scheme
    return QingStor(cfg).Bucket(BUCKET, ARGS.zone)


bucket = make_bucket()


def describe(r):
    try:
        body = dict(r)
    except Exception:
        body = {}
    if not body:
        body = (r.content or b"")[:300]
    return f"HTTP {r.status_code} {body}"


def expect_status(r, status, what):
    if r.status_code != status:
        fail(f"{what}: expected HTTP {status}, got {describe(r)}")
    return r


def upload_id_of(r, what):
    """initiate_multipart_upload must answer 200 with a JSON body holding upload_id."""
    expect_status(r, 200, what)
    if "upload_id" not in r:
        fail(f"{what}: no upload_id in the parsed answer (Content-Type "
             f"{r.headers.get('Content-Type')!r}; the SDK parses only exactly application/json): "
             f"{describe(r)}")
    return r["upload_id"]


def expect_error(r, status, code, what):
    got_code = r.get("code") if hasattr(r, "get") else None
    if (r.status_code, got_code) != (status, code):
        fail(f"{what}: expected HTTP {status} code {code!r}, got {describe(r)}")


@suite.check("create_bucket")
def create_bucket():
    note = None
    if ARGS.via_proxy:
        import requests.utils
        target = f"{URL.scheme}://{ARGS.zone}.{URL.hostname}:{URL.port}/{BUCKET}"
        proxies = requests.utils.get_environ_proxies(target)
        expect_eq(proxies.get(URL.scheme), ARGS.endpoint, f"proxy requests would use for {target}")
        note = f"requests to {ARGS.zone}.{URL.hostname} go through the proxy {ARGS.endpoint}"
    r = bucket.put()
    STATE["put_bucket_status"] = r.status_code
    expect(200 <= r.status_code < 300, f"bucket.put(): expected 2xx, got {describe(r)}")
    expect_status(bucket.head(), 200, "bucket.head()")
    return note


@suite.check("create_bucket_status_201", needs=["create_bucket"])
def create_bucket_status():
    expect_eq(STATE["put_bucket_status"], 201, "bucket.put() status (QingStor answers 201)")


@suite.check("put_copy_source", needs=["create_bucket"])
def put_src():
    src = b"hello source object " * 10
    r = expect_status(bucket.put_object(SRC_KEY, body=src), 201, "put_object(src.txt)")
    expect_eq(r.headers.get("ETag"), f'"{md5_hex(src)}"', "put_object ETag header")
    STATE["src"] = src


@suite.check("initiate_multipart_upload", needs=["create_bucket"])
def initiate():
    r = expect_status(bucket.initiate_multipart_upload(
        object_key=KEY, content_type="application/octet-stream"), 200,
        "initiate_multipart_upload")
    expect_eq(r.headers.get("Content-Type"), "application/json",
              "initiate answer Content-Type (the SDK parses only exactly application/json)")
    expect("upload_id" in r, f"initiate_multipart_upload: no upload_id in {describe(r)}")
    STATE["uid"] = r["upload_id"]


@suite.check("upload_multipart_parts_from_0", needs=["initiate_multipart_upload"])
def upload_parts():
    path = os.path.join(TMP, "your_file_multi_uploaded.zip")
    write_random_file(path, 3 * CHUNK, seed=9)
    file_size = os.stat(path).st_size
    parts_count = -(-file_size // CHUNK)
    uid, etags, parts = STATE["uid"], {}, {}
    with open(path, "rb") as f:
        for i in range(parts_count):
            part_size = min(CHUNK, file_size - i * CHUNK)
            data = f.read(part_size)
            r = bucket.upload_multipart(KEY, upload_id=uid, part_number=str(i), body=data)
            expect_status(r, 201, f"upload_multipart part_number={i}")
            expect_eq(r.headers.get("ETag"), f'"{md5_hex(data)}"', f"part {i} ETag header")
            etags[i], parts[i] = r.headers["ETag"], data
    STATE.update(etags=etags, parts=parts)
    return f"parts 0..{parts_count - 1}"


@suite.check("copy_part", needs=["upload_multipart_parts_from_0", "put_copy_source"])
def copy_part():
    n = len(STATE["parts"])
    r = bucket.upload_multipart(KEY, upload_id=STATE["uid"], part_number=str(n),
                                x_qs_copy_source=f"/{BUCKET}/{SRC_KEY}",
                                x_qs_copy_range="bytes=0-99")
    expect_status(r, 201, f"upload_multipart part_number={n} with x-qs-copy-source")
    want = STATE["src"][:100]
    expect_eq(r.headers.get("ETag"), f'"{md5_hex(want)}"', "copy part ETag")
    STATE["etags"][n], STATE["parts"][n] = r.headers["ETag"], want


@suite.check("list_multipart", needs=["copy_part"])
def list_multipart():
    r = expect_status(bucket.list_multipart(object_key=KEY, upload_id=STATE["uid"]), 200,
                      "list_multipart")
    got = [(p.get("part_number"), p.get("etag"), p.get("size")) for p in r.get("object_parts", [])]
    want = [(n, STATE["etags"][n], len(STATE["parts"][n])) for n in sorted(STATE["parts"])]
    expect_eq(got, want, "list_multipart object_parts (part_number, etag, size)")
    expect_eq(r.get("count"), len(want), "list_multipart count")


@suite.check("list_multipart_uploads", needs=["initiate_multipart_upload"])
def list_uploads():
    r = expect_status(bucket.list_multipart_uploads(prefix="big/", limit="10"), 200,
                      "list_multipart_uploads(prefix=big/)")
    got = [(u.get("key"), u.get("upload_id")) for u in r.get("uploads", [])]
    expect_eq(got, [(KEY, STATE["uid"])], "list_multipart_uploads uploads (key, upload_id)")


@suite.check("complete_multipart_upload", needs=["list_multipart"])
def complete():
    etags = STATE["etags"]
    object_parts = [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
    r = bucket.complete_multipart_upload(KEY, upload_id=STATE["uid"], object_parts=object_parts)
    expect_status(r, 201, "complete_multipart_upload")
    STATE["object"] = b"".join(STATE["parts"][n] for n in sorted(STATE["parts"]))


@suite.check("get_object_compare", needs=["complete_multipart_upload"])
def get_object():
    obj = STATE["object"]
    r = expect_status(bucket.get_object(KEY), 200, "get_object")
    expect_bytes(r.content, obj, "get_object body")
    r = expect_status(bucket.get_object(KEY, range=f"bytes={CHUNK - 5}-{CHUNK + 4}"), 206,
                      "get_object with range across parts 0/1")
    expect_bytes(r.content, obj[CHUNK - 5:CHUNK + 5], "ranged get_object body")
    h = expect_status(bucket.head_object(KEY), 200, "head_object")
    expect_eq(int(h.headers.get("Content-Length", -1)), len(obj), "head_object Content-Length")


@suite.check("list_objects", needs=["complete_multipart_upload"])
def list_objects():
    r = expect_status(bucket.list_objects(prefix="big/"), 200, "list_objects(prefix=big/)")
    expect_eq([(k.get("key"), k.get("size")) for k in r.get("keys", [])],
              [(KEY, len(STATE["object"]))], "list_objects keys (key, size)")


@suite.check("completed_upload_is_gone", needs=["complete_multipart_upload"])
def completed_gone():
    r = bucket.list_multipart(object_key=KEY, upload_id=STATE["uid"])
    expect_error(r, 404, "upload_not_exists", "list_multipart after completion")


@suite.check("complete_etag_header_sets_object_etag", needs=["create_bucket"])
def complete_etag_header():
    key = "etag/custom.bin"
    r = bucket.initiate_multipart_upload(object_key=key, content_type="application/octet-stream")
    uid = upload_id_of(r, "initiate_multipart_upload")
    data = b"0123456789" * 100
    p = expect_status(bucket.upload_multipart(key, upload_id=uid, part_number="0", body=data),
                      201, "upload_multipart part 0")
    custom = '"0123456789abcdef0123456789abcdef"'
    expect_status(bucket.complete_multipart_upload(
        key, upload_id=uid, etag=custom,
        object_parts=[{"part_number": 0, "etag": p.headers["ETag"]}]), 201,
        "complete_multipart_upload with an ETag header")
    h = expect_status(bucket.head_object(key), 200, "head_object")
    expect_eq(h.headers.get("ETag"), custom, "HEAD ETag after a complete with an ETag header")
    expect_bytes(expect_status(bucket.get_object(key), 200, "get_object").content, data, "body")


@suite.check("abort_multipart_upload", needs=["create_bucket"])
def abort():
    key = "aborted.bin"
    r = bucket.initiate_multipart_upload(object_key=key, content_type="application/octet-stream")
    uid = upload_id_of(r, "initiate_multipart_upload")
    expect_status(bucket.upload_multipart(key, upload_id=uid, part_number="0", body=b"x" * 1000),
                  201, "upload_multipart part 0")
    expect_status(bucket.abort_multipart_upload(key, upload_id=uid), 204, "abort_multipart_upload")
    expect_error(bucket.list_multipart(object_key=key, upload_id=uid), 404, "upload_not_exists",
                 "list_multipart after abort")
    expect_error(bucket.upload_multipart(key, upload_id=uid, part_number="1", body=b"late"), 404,
                 "upload_not_exists", "upload_multipart after abort")


@suite.check("errors", needs=["create_bucket"])
def errors():
    expect_error(bucket.upload_multipart(KEY, upload_id="nonexistent", part_number="0", body=b"x"),
                 404, "upload_not_exists", "upload_multipart with an unknown upload_id")
    expect_error(bucket.get_object("missing.bin"), 404, "object_not_exists",
                 "get_object of a missing key")
    key = "small/parts.bin"
    r = bucket.initiate_multipart_upload(object_key=key, content_type="application/octet-stream")
    uid = upload_id_of(r, "initiate_multipart_upload")
    try:
        e = {}
        for i in range(2):
            pr = expect_status(bucket.upload_multipart(key, upload_id=uid, part_number=str(i),
                                                       body=b"%d" % i * 1024), 201,
                               f"upload_multipart small part {i}")
            e[i] = pr.headers["ETag"]
        expect_error(bucket.complete_multipart_upload(
            key, upload_id=uid, object_parts=[{"part_number": i, "etag": e[i]} for i in range(2)]),
            400, "entity_too_small", "complete with a 1 KiB non-last part")
    finally:
        bucket.abort_multipart_upload(key, upload_id=uid)


@suite.check("auth_wrong_secret_refused", needs=["create_bucket"])
def auth_wrong():
    if not ARGS.auth:
        return "not applicable (server runs without keys)"
    bad = make_bucket(secret_key=ARGS.secret_key[:-4] + "XXXX")
    expect_error(bad.initiate_multipart_upload(object_key="auth/bad.bin",
                                               content_type="application/octet-stream"),
                 401, "signature_not_matched", "initiate_multipart_upload with a wrong secret")
    expect_error(bad.put_object("auth/bad.bin", body=b"x"), 401, "signature_not_matched",
                 "put_object with a wrong secret")
    unknown = make_bucket(access_key="QYUNKNOWNUNKNOWNUNKN")
    expect_error(unknown.list_objects(), 401, "invalid_access_key_id",
                 "list_objects with an unknown access key")
    r = expect_status(bucket.list_multipart_uploads(prefix="auth/"), 200, "list_multipart_uploads")
    expect_eq(r.get("uploads", []), [], "uploads created by refused requests")
    expect_status(bucket.head_object("auth/bad.bin"), 404, "head_object of the refused PUT's key")


@suite.check("delete_objects_and_bucket", needs=["complete_multipart_upload"])
def delete():
    for k in (KEY, SRC_KEY, "etag/custom.bin"):
        expect_status(bucket.delete_object(k), 204, f"delete_object({k})")
    r = expect_status(bucket.list_objects(), 200, "list_objects")
    expect_eq(r.get("keys", []), [], "objects left")
    expect_status(bucket.delete(), 204, "bucket.delete()")


@suite.check("server_state_clean", needs=["delete_objects_and_bucket"])
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
    shutil.rmtree(TMP, ignore_errors=True)
sys.exit(rc)
