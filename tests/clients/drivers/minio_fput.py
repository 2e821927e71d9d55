"""minio-py's fput_object (multipart above part_size)."""
from urllib.parse import urlparse

from minio import Minio

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
u = urlparse(endpoint)
client = Minio(u.netloc, access_key=ak, secret_key=sk, secure=u.scheme == "https",
               region="us-east-1")
try:
    client.fput_object(bucket, key, path, part_size=part_size, num_parallel_uploads=concurrency)
except Exception as e:
    die(f"fput_object failed: {type(e).__name__}: {e}")
