"""esdk-obs-python's multipart API as the OBS docs show it: initiateMultipartUpload, uploadPart
from the file (isFile, partSize, offset), completeMultipartUpload with CompletePart, checking
`status < 300` on each; abortMultipartUpload when a step fails. Parts go up on a thread pool."""
from concurrent.futures import ThreadPoolExecutor
import os

from obs import CompleteMultipartUploadRequest, CompletePart, ObsClient

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
obs = ObsClient(access_key_id=ak, secret_access_key=sk, server=endpoint, path_style=True)
size = os.path.getsize(path)
count = max(1, -(-size // part_size))
r = obs.initiateMultipartUpload(bucket, key)
if r.status >= 300:
    die(f"initiateMultipartUpload: {r.status} {r.errorCode} {r.errorMessage}")
upload_id = r.body.uploadId


def put(n):
    offset = (n - 1) * part_size
    r = obs.uploadPart(bucket, key, n, upload_id, path, True, min(part_size, size - offset), offset)
    if r.status >= 300:
        raise RuntimeError(f"uploadPart {n}: {r.status} {r.errorCode} {r.errorMessage}")
    return CompletePart(n, r.body.etag)


try:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        parts = list(pool.map(put, range(1, count + 1)))
    r = obs.completeMultipartUpload(bucket, key, upload_id, CompleteMultipartUploadRequest(parts))
    if r.status >= 300:
        raise RuntimeError(f"completeMultipartUpload: {r.status} {r.errorCode} {r.errorMessage}")
except Exception as e:
    obs.abortMultipartUpload(bucket, key, upload_id)
    die(f"multipart failed (aborted): {e}")
