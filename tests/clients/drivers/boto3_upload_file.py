"""boto3's high-level upload_file (s3transfer), configured the way its docs show."""
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
cfg = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                     max_concurrency=concurrency, use_threads=True,
                     preferred_transfer_client="classic")
try:
    s3.upload_file(path, bucket, key, Config=cfg)
except Exception as e:  # the client's own verdict: report it, exit non-zero
    die(f"upload_file failed: {type(e).__name__}: {e}")
