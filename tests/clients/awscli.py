#!/usr/bin/env python3
"""Real-client checks: the AWS CLI (v1, `aws s3` high-level commands) against the mock server.

Usage: awscli.py --endpoint http(s)://127.0.0.1:PORT [--ca-bundle PEM] [--aws PATH-TO-aws]

Runs `aws s3 cp` of a 40 MiB file up (multipart, 8 MB chunks set with `aws configure set` in a
private AWS_CONFIG_FILE) and down, `aws s3 ls`, `aws s3api head-object`, and compares bytes and
the multipart ETag. Over https the CLI is given `--ca-bundle`.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from checklib import (
    Suite, base_args, expect, expect_eq, expect_file_equal, fail, file_md5,
    multipart_etag_of_file, write_random_file,
)

MiB = 1024 * 1024
BIG = 40 * MiB
CHUNK = 8 * MiB  # "8MB" in the CLI config is parsed as 8 MiB
BUCKET = "cli-bucket"

p = base_args(__doc__)
p.add_argument("--aws", default=os.path.join(os.path.dirname(sys.executable), "aws"))
ARGS = p.parse_args()
ARGS.access_key = ARGS.access_key or "AKIAIOSFODNN7EXAMPLE"
ARGS.secret_key = ARGS.secret_key or "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
scheme = ARGS.endpoint.split(":", 1)[0]
suite = Suite(ARGS.suite_name or f"awscli[{scheme}]")
TMP = tempfile.mkdtemp(prefix="awscli-")
ENV = dict(os.environ)
ENV.update({
    "AWS_CONFIG_FILE": os.path.join(TMP, "config"),
    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(TMP, "credentials"),
    "AWS_ACCESS_KEY_ID": ARGS.access_key,
    "AWS_SECRET_ACCESS_KEY": ARGS.secret_key,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_PAGER": "",
})
STATE = {}


def aws(*args, config=False, check=True):
    """Run the CLI; global endpoint/CA options are added unless this is `aws configure`."""
    cmd = [ARGS.aws]
    if not config:
        cmd += ["--endpoint-url", ARGS.endpoint]
        if ARGS.ca_bundle:
            cmd += ["--ca-bundle", ARGS.ca_bundle]
    cmd += list(args)
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        shown = " ".join(cmd[1:])
        fail(f"`aws {shown}` exited {r.returncode}: {(r.stderr or r.stdout).strip()[-800:]}")
    return r


@suite.check("configure_multipart_chunksize")
def configure():
    aws("configure", "set", "default.s3.multipart_chunksize", "8MB", config=True)
    aws("configure", "set", "default.s3.multipart_threshold", "8MB", config=True)
    r = aws("configure", "get", "default.s3.multipart_chunksize", config=True)
    expect_eq(r.stdout.strip(), "8MB", "aws configure get default.s3.multipart_chunksize")


@suite.check("make_bucket", needs=["configure_multipart_chunksize"])
def make_bucket():
    r = aws("s3", "mb", f"s3://{BUCKET}")
    expect(f"make_bucket: {BUCKET}" in r.stdout, f"aws s3 mb output: {r.stdout!r}")


@suite.check("cp_upload_multipart", needs=["make_bucket"])
def cp_up():
    src = os.path.join(TMP, "big.bin")
    write_random_file(src, BIG, seed=40)
    STATE["src"] = src
    aws("s3", "cp", src, f"s3://{BUCKET}/dir/big file.bin")
    return f"{BIG} bytes"


@suite.check("s3api_head_object_etag", needs=["cp_upload_multipart"])
def head():
    r = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "dir/big file.bin")
    h = json.loads(r.stdout)
    expect_eq(h.get("ContentLength"), BIG, "head-object ContentLength")
    want = multipart_etag_of_file(STATE["src"], CHUNK)
    expect_eq(h.get("ETag"), want, "head-object ETag (5 parts of 8 MiB: the CLI did multipart)")
    return f"ETag {h.get('ETag')}"


@suite.check("s3_ls", needs=["cp_upload_multipart"])
def ls():
    r = aws("s3", "ls", f"s3://{BUCKET}/dir/")
    lines = [l.split(None, 3) for l in r.stdout.splitlines() if l.strip()]
    found = [l for l in lines if len(l) == 4 and l[3] == "big file.bin"]
    expect(found, f"`aws s3 ls s3://{BUCKET}/dir/` does not list 'big file.bin': {r.stdout!r}")
    expect_eq(int(found[0][2]), BIG, "size shown by aws s3 ls")
    r = aws("s3", "ls")
    expect(BUCKET in r.stdout.split(), f"`aws s3 ls` does not list the bucket: {r.stdout!r}")
    r = aws("s3", "ls", f"s3://{BUCKET}/", "--recursive")
    expect("dir/big file.bin" in r.stdout, f"`aws s3 ls --recursive`: {r.stdout!r}")


@suite.check("cp_download_compare", needs=["cp_upload_multipart"])
def cp_down():
    dst = os.path.join(TMP, "down.bin")
    aws("s3", "cp", f"s3://{BUCKET}/dir/big file.bin", dst)
    expect_file_equal(dst, STATE["src"], "aws s3 cp download")
    return f"md5 {file_md5(dst)}"


@suite.check("cp_small_and_rm", needs=["make_bucket"])
def small():
    src = os.path.join(TMP, "small.txt")
    with open(src, "wb") as f:
        f.write(b"small object via single PUT\n")
    aws("s3", "cp", src, f"s3://{BUCKET}/small+ü.txt")
    dst = os.path.join(TMP, "small.down")
    aws("s3", "cp", f"s3://{BUCKET}/small+ü.txt", dst)
    expect_file_equal(dst, src, "small object round trip")
    aws("s3", "rm", f"s3://{BUCKET}/small+ü.txt")
    r = aws("s3api", "head-object", "--bucket", BUCKET, "--key", "small+ü.txt", check=False)
    expect(r.returncode != 0 and "404" in r.stderr,
           f"head-object after aws s3 rm: expected a 404 error, got exit {r.returncode}: "
           f"{r.stderr.strip() or r.stdout.strip()}")


@suite.check("no_uploads_left", needs=["cp_upload_multipart"])
def no_uploads():
    r = aws("s3api", "list-multipart-uploads", "--bucket", BUCKET)
    ups = json.loads(r.stdout or "{}").get("Uploads", [])
    expect_eq(ups, [], "open multipart uploads after the CLI transfers")


try:
    rc = suite.run(ARGS.only)
finally:
    shutil.rmtree(TMP, ignore_errors=True)
sys.exit(rc)
