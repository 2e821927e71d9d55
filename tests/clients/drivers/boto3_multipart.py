"""boto3's low-level multipart API, written the way a team typically writes it: create, upload
parts on a thread pool (botocore retries each call), complete with the returned ETags in
part order, abort on any exception."""
from concurrent.futures import ThreadPoolExecutor
import os

import boto3
from botocore.config import Config

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                  region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, max_pool_connections=concurrency))
size = os.path.getsize(path)
count = max(1, -(-size // part_size))
upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]


def put(n):
    with open(path, "rb") as f:
        f.seek((n - 1) * part_size)
        data = f.read(part_size)
    r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)
    return {"PartNumber": n, "ETag": r["ETag"]}


try:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        parts = list(pool.map(put, range(1, count + 1)))
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
except Exception as e:
    try:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except Exception as e2:
        die(f"multipart failed: {type(e).__name__}: {e}; abort failed too: {e2}")
    die(f"multipart failed (aborted): {type(e).__name__}: {e}")
