#!/usr/bin/env python3
"""Helpers for the moto check in .ci/run (issue #4): `mpu upload` against moto's S3 server,
verified with boto3.

  moto_verify.py create ENDPOINT BUCKET          create the bucket
  moto_verify.py verify ENDPOINT BUCKET KEY FILE download the object; size and MD5 must match
"""
import hashlib
import os
import sys

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "create":
        client(sys.argv[2]).create_bucket(Bucket=sys.argv[3])
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "verify":
        _, _, endpoint, bucket, key, path = sys.argv
        s3 = client(endpoint)
        head = s3.head_object(Bucket=bucket, Key=key)
        want_size = os.path.getsize(path)
        if head["ContentLength"] != want_size:
            print(f"FAIL moto: size {head['ContentLength']}, expected {want_size}")
            return 1
        h = hashlib.md5()
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in iter(lambda: body.read(1 << 20), b""):
            h.update(chunk)
        if h.hexdigest() != md5_file(path):
            print(f"FAIL moto: downloaded MD5 {h.hexdigest()} differs from the file's")
            return 1
        parts = head["ETag"].strip('"').partition("-")[2]
        print(f"PASS moto: {key} has {want_size} bytes, bytes equal (MD5), "
              f"ETag {head['ETag']} ({parts or '?'} parts)")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
