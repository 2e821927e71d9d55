"""esdk-obs-python's resumable uploadFile (partSize, taskNum, checkpoint file)."""
import os

from obs import ObsClient

from _args import parse, die

endpoint, bucket, key, path, part_size, concurrency, ak, sk = parse()
obs = ObsClient(access_key_id=ak, secret_access_key=sk, server=endpoint, path_style=True)
checkpoint = path + ".upload_record"
r = obs.uploadFile(bucket, key, path, partSize=part_size, taskNum=concurrency,
                   enableCheckpoint=True, checkpointFile=checkpoint)
if r is None or r.status >= 300:
    die(f"uploadFile: {getattr(r, 'status', None)} {getattr(r, 'errorCode', None)} "
        f"{getattr(r, 'errorMessage', None)}")
if os.path.exists(checkpoint):
    os.remove(checkpoint)
