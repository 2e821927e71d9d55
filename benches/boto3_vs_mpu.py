#!/usr/bin/env python3
"""Side by side: boto3's upload_file vs the reference uploader (`mpu upload`), same mock, same
file, same part size and concurrency. Starts the mock-server binary itself (memory store) on a
free loopback port, uploads with each client REPEAT times, prints MB/s and the ratio.

usage: boto3_vs_mpu.py MOCK_SERVER_BIN MPU_BIN [--size 1GiB] [--part-size 8MiB]
                       [--concurrency 8] [--repeat 2] [--store memory|disk]
                       [--mpu-memory BYTES]

Memory: boto3 holds at most max_in_memory_upload_chunks (10) parts at once, those in flight
included; `mpu upload` holds what its --memory budget allows (default 256 MiB: the parts in
flight plus up to twice as many read and hashed ahead). --mpu-memory sets the budget, e.g. part
size x concurrency for no read-ahead at all.
"""
import argparse, os, socket, subprocess, sys, tempfile, time, urllib.request

UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def size(text):
    t = text.strip().lower()
    i = len(t.rstrip("abcdefghijklmnopqrstuvwxyz"))
    return int(float(t[:i]) * UNITS[t[i:]])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uploaded(s3, key, size):
    """Checks the object arrived whole, then deletes it: every round starts from the same
    server state instead of behind gigabytes of earlier rounds (dirty page cache being written
    back, or memory the machine has never touched)."""
    got = s3.head_object(Bucket="bench", Key=key)["ContentLength"]
    if got != size:
        raise SystemExit(f"{key}: {got} bytes on the mock, expected {size}")
    s3.delete_object(Bucket="bench", Key=key)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mock_server")
    ap.add_argument("mpu")
    ap.add_argument("--size", default="1GiB")
    ap.add_argument("--part-size", default="8MiB")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--store", default="memory", choices=["memory", "disk"])
    ap.add_argument("--mpu-memory", default=None, help="mpu's --memory (default: its own default)")
    a = ap.parse_args()
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    total, part = size(a.size), size(a.part_size)
    tmp = tempfile.mkdtemp(prefix="boto3-vs-mpu-")
    path = os.path.join(tmp, "object.bin")
    with open(path, "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(total // len(block)):
            f.write(block[i % 7:] + block[: i % 7])
        f.write(block[: total % len(block)])
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    store = ["--memory"] if a.store == "memory" else ["--data-dir", os.path.join(tmp, "data")]
    server = subprocess.Popen([a.mock_server, "--listen", f"127.0.0.1:{port}", "--bucket", "bench", *store],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
                   AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                          config=Config(max_pool_connections=a.concurrency + 4,
                                        s3={"addressing_style": "path"}))
        cfg = TransferConfig(multipart_threshold=part, multipart_chunksize=part,
                             max_concurrency=a.concurrency, use_threads=True)
        results = {"boto3": [], "mpu": []}
        for i in range(a.repeat):
            t = time.perf_counter()
            s3.upload_file(path, "bench", f"boto3-{i}", Config=cfg)
            results["boto3"].append(total / (time.perf_counter() - t) / 1e6)
            uploaded(s3, f"boto3-{i}", total)
            t = time.perf_counter()
            subprocess.run([a.mpu, "upload", path, f"s3://bench/mpu-{i}", "--endpoint", endpoint,
                            "--part-size", str(part), "--concurrency", str(a.concurrency),
                            *(["--memory", a.mpu_memory] if a.mpu_memory else []),
                            "--progress", "none"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            results["mpu"].append(total / (time.perf_counter() - t) / 1e6)
            uploaded(s3, f"mpu-{i}", total)
        b, m = max(results["boto3"]), max(results["mpu"])
        print(f"{a.size} in {a.part_size} parts at concurrency {a.concurrency}, {a.store} store, best of {a.repeat}; "
              f"mpu --memory {a.mpu_memory or 'default (256MiB)'}")
        print(f"boto3 upload_file: {b:8.1f} MB/s   (runs: {', '.join(f'{x:.1f}' for x in results['boto3'])})")
        print(f"mpu upload:        {m:8.1f} MB/s   (runs: {', '.join(f'{x:.1f}' for x in results['mpu'])})")
        print(f"ratio mpu/boto3:   {m / b:8.2f}x")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
