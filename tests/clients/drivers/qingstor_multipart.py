"""qingstor-sdk's low-level multipart flow as its docs show it: initiate_multipart_upload,
upload_multipart with part_number from 0, complete_multipart_upload with object_parts,
abort_multipart_upload on failure. Sequential, like the documented example."""
import os
from urllib.parse import urlparse

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(var, None)
from qingstor.sdk.config import Config  # noqa: E402
from qingstor.sdk.service.qingstor import QingStor  # noqa: E402

u = urlparse(endpoint)
cfg = Config(ak, sk)
cfg.host, cfg.port, cfg.protocol = u.hostname, u.port, u.scheme
b = QingStor(cfg).Bucket(bucket, "")
size = os.path.getsize(path)
count = max(1, -(-size // part_size))
r = b.initiate_multipart_upload(key)
if r.status_code != 200:
    die(f"initiate_multipart_upload: HTTP {r.status_code} {r.content[:200]!r}")
uid = r["upload_id"]
try:
    with open(path, "rb") as f:
        for i in range(count):
            data = f.read(part_size)
            r = b.upload_multipart(key, upload_id=uid, part_number=str(i), body=data)
            if r.status_code != 201:
                raise RuntimeError(f"upload_multipart {i}: HTTP {r.status_code} {r.content[:200]!r}")
    r = b.complete_multipart_upload(key, upload_id=uid,
                                    object_parts=[{"part_number": i} for i in range(count)])
    if r.status_code != 201:
        raise RuntimeError(f"complete_multipart_upload: HTTP {r.status_code} {r.content[:200]!r}")
except Exception as e:
    b.abort_multipart_upload(key, upload_id=uid)
    die(f"multipart failed (aborted): {e}")
